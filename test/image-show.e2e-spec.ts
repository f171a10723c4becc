import { describeEachDatabase } from './helpers/test-app';
import {
  animeJson,
  artistJson,
  IMAGE_ALL_FIELDS,
  imageJson,
  playlistJson,
  seedReadFixtures,
  studioJson,
} from './helpers/fixtures';

describeEachDatabase('GET /api/image/:id', (context) => {
  beforeAll(async () => {
    await seedReadFixtures(context().dataSource);
  });

  const shown = async (url: string) => {
    const response = await context().http().get(url).expect(200);
    return response.body as Record<string, unknown>;
  };

  const expectRefused = async (url: string, key: string, message: string) => {
    const response = await context().http().get(url).expect(422);
    expect(response.body).toEqual({ message, errors: { [key]: [message] } });
  };

  it('should show an image with the default fields', async () => {
    expect(await shown('/api/image/3')).toEqual({ image: imageJson(3) });
  });

  it('should still show a soft-deleted image, with deleted_at when asked', async () => {
    expect(await shown('/api/image/11')).toEqual({ image: imageJson(11) });
    expect(await shown(`/api/image/11?fields[image]=${IMAGE_ALL_FIELDS.join(',')}`)).toEqual({
      image: imageJson(11, IMAGE_ALL_FIELDS),
    });
  });

  it('should show every include, only Public and live related rows', async () => {
    expect(await shown('/api/image/1?include=anime,artists,studios,playlists')).toEqual({
      image: {
        ...imageJson(1),
        anime: [animeJson(1), animeJson(6)],
        artists: [artistJson(2, 1)],
        studios: [studioJson(1)],
        playlists: [playlistJson(1)],
      },
    });
    expect(await shown('/api/image/9?include=playlists')).toEqual({
      image: { ...imageJson(9), playlists: [playlistJson(1)] },
    });
    expect(await shown('/api/image/2?include=playlists,artists')).toEqual({
      image: { ...imageJson(2), artists: [], playlists: [] },
    });
  });

  it('should apply trashed to the included arrays only', async () => {
    expect(await shown('/api/image/9?include=playlists&filter[trashed]=with')).toEqual({
      image: { ...imageJson(9), playlists: [playlistJson(1), playlistJson(4)] },
    });
    expect(await shown('/api/image/8?include=studios&filter[trashed]=only')).toEqual({
      image: { ...imageJson(8), studios: [studioJson(3)] },
    });
    expect(await shown('/api/image/11?include=anime')).toEqual({
      image: { ...imageJson(11), anime: [animeJson(5)] },
    });
  });

  it('should narrow included arrays with scoped and global filters, never the image itself', async () => {
    expect(await shown('/api/image/10?include=anime&filter[anime][year]=1998')).toEqual({
      image: { ...imageJson(10), anime: [animeJson(3)] },
    });
    expect(await shown('/api/image/10?include=anime&filter[year-lt]=1990')).toEqual({
      image: { ...imageJson(10), anime: [animeJson(5)] },
    });
    // created_at applies to anime here; image 1 itself (created in 2023) is still shown.
    expect(await shown('/api/image/1?include=anime&filter[created_at-gte]=2024-01-05')).toEqual({
      image: { ...imageJson(1), anime: [animeJson(6)] },
    });
    expect(await shown('/api/image/1?include=anime&filter[media_format]=Special')).toEqual({
      image: { ...imageJson(1), anime: [animeJson(6)] },
    });
  });

  it('should sort included arrays and render sparse fields', async () => {
    expect(
      await shown(
        '/api/image/10?include=anime&sort[anime]=-year&fields[anime]=name,year&fields[image]=path',
      ),
    ).toEqual({
      image: {
        path: 'anime/cover/trigun.jpg',
        anime: [
          { name: 'FLCL', year: 2000 },
          { name: 'Trigun', year: 1998 },
          { name: 'Akira', year: 1988 },
        ],
      },
    });
  });

  it.each(['999', '0', 'abc', '1.5', '-1', '99999999999999999999'])(
    'should answer 404 for the missing or non-numeric id %s',
    async (id) => {
      const response = await context().http().get(`/api/image/${id}`).expect(404);
      expect(response.body).toEqual({ message: `Image ${id} not found.` });
    },
  );

  it('should answer an invalid query with 422 before a missing or non-numeric id with 404', async () => {
    const message = "Unknown include 'nope'. Allowed includes: anime, artists, studios, playlists.";
    await expectRefused('/api/image/999?include=nope', 'include', message);
    await expectRefused('/api/image/abc?include=nope', 'include', message);
  });

  const imageOnlyFilter = (key: string) =>
    `filter[${key}] filters the listed images, so it is not accepted when showing one image; filters here narrow the included arrays. Allowed filters: anime_id, name, slug, year, season, media_format, created_at, updated_at, deleted_at, artist_id, studio_id, playlist_id, hashid, trashed.`;

  it.each([
    ['filter[facet]=Cover', 'filter.facet', imageOnlyFilter('facet')],
    ['filter[path]=x', 'filter.path', imageOnlyFilter('path')],
    ['filter[image_id]=1', 'filter.image_id', imageOnlyFilter('image_id')],
    [
      'filter[image][created_at]=2024',
      'filter.image.created_at',
      'filter[image][created_at] filters the listed images, so it is not accepted when showing one image. Types: anime, artist, studio, playlist.',
    ],
    [
      'filter[has]=anime',
      'filter.has',
      'filter[has] selects which images are listed, so it is not accepted when showing one image.',
    ],
    [
      'sort=path',
      'sort',
      'sort orders a list of images, so it is not accepted when showing one image. Sort included arrays with sort[<type>] (types: anime, artist, studio, playlist).',
    ],
    [
      'sort[image]=path',
      'sort.image',
      'sort[image] orders a list of images, so it is not accepted when showing one image. Use sort[<type>] with a type among: anime, artist, studio, playlist.',
    ],
    [
      'page[size]=2',
      'page.size',
      'page[size] pages a list of images, so it is not accepted when showing one image.',
    ],
    [
      'page[number]=1',
      'page.number',
      'page[number] pages a list of images, so it is not accepted when showing one image.',
    ],
  ])('should refuse %s on show with 422', (query, key, message) =>
    expectRefused(`/api/image/1?${query}`, key, message),
  );
});
