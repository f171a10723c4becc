import { describeEachDatabase } from './helpers/test-app';
import {
  ANIME_ALL_FIELDS,
  animeJson,
  artistJson,
  IMAGE_ALL_FIELDS,
  imageJson,
  onePage,
  playlistJson,
  PLAYLIST_ALL_FIELDS,
  PUBLIC_URL,
  seedReadFixtures,
  STUDIO_ALL_FIELDS,
  studioJson,
} from './helpers/fixtures';

describeEachDatabase(
  'GET /api/image: includes and sparse fieldsets',
  (context) => {
    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
    });

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body, compared whole
    const listed = async (query: string): Promise<any> => {
      const response = await context().http().get(`/api/image?${query}`).expect(200);
      return response.body;
    };

    const expectRefused = async (query: string, key: string, message: string) => {
      const response = await context().http().get(`/api/image?${query}`).expect(422);
      expect(response.body).toEqual({ message, errors: { [key]: [message] } });
    };

    it('should include anime with default fields and display names, [] when an image has none', async () => {
      const query = 'include=anime&filter[image_id]=1,5,9,10';
      expect(await listed(query)).toEqual(
        onePage(query, [
          { ...imageJson(1), anime: [animeJson(1), animeJson(6)] },
          { ...imageJson(5), anime: [] },
          { ...imageJson(9), anime: [animeJson(7)] },
          { ...imageJson(10), anime: [animeJson(3), animeJson(4), animeJson(5)] },
        ]),
      );
    });

    it('should render every season and media format name (and the soft-deleted anime with trashed=with)', async () => {
      const query =
        'include=anime&filter[trashed]=with&fields[image]=image_id&fields[anime]=anime_id,season,media_format';
      const body = await listed(query);
      const seen = body.images.flatMap((image: { anime: unknown[] }) => image.anime);
      const fields = ['anime_id', 'season', 'media_format'];
      expect(body.images[4]).toEqual({ image_id: 5, anime: [animeJson(8, fields)] });
      expect(new Set(seen.map((anime: { season: string | null }) => anime.season))).toEqual(
        new Set(['Winter', 'Spring', 'Summer', 'Fall', null]),
      );
      expect(
        new Set(seen.map((anime: { media_format: string | null }) => anime.media_format)),
      ).toEqual(new Set(['Unknown', 'TV', 'TV Short', 'OVA', 'Movie', 'Special', 'ONA', null]));
    });

    it('should include artists with artistimage.depth from the pivot, leaving out soft-deleted artists', async () => {
      const query = 'include=artists&filter[image_id]=1,6,7';
      expect(await listed(query)).toEqual(
        onePage(query, [
          { ...imageJson(1), artists: [artistJson(2, 1)] },
          { ...imageJson(6), artists: [artistJson(1, 6), artistJson(2, 6)] },
          { ...imageJson(7), artists: [] },
        ]),
      );
      expect(artistJson(2, 1)).toEqual({
        artist_id: 2,
        name: 'Seatbelts',
        slug: 'seatbelts',
        artistimage: { depth: null },
      });
    });

    it('should include soft-deleted related rows when trashed=with and only them when trashed=only', async () => {
      const withTrashed = 'include=artists,studios&filter[trashed]=with&filter[image_id]=6,8';
      expect(await listed(withTrashed)).toEqual(
        onePage(withTrashed, [
          {
            ...imageJson(6),
            artists: [artistJson(1, 6), artistJson(2, 6), artistJson(3, 6)],
            studios: [],
          },
          { ...imageJson(8), artists: [], studios: [studioJson(1), studioJson(2), studioJson(3)] },
        ]),
      );
      const onlyTrashed = 'include=anime&filter[trashed]=only';
      expect(await listed(onlyTrashed)).toEqual(
        onePage(onlyTrashed, [
          { ...imageJson(11), anime: [] },
          { ...imageJson(12), anime: [] },
        ]),
      );
    });

    it('should include only Public playlists, never Private or Unlisted ones, whatever trashed says', async () => {
      const query = 'include=playlists&filter[image_id]=1,2,3,9';
      expect(await listed(query)).toEqual(
        onePage(query, [
          { ...imageJson(1), playlists: [playlistJson(1)] },
          { ...imageJson(2), playlists: [] },
          { ...imageJson(3), playlists: [] },
          { ...imageJson(9), playlists: [playlistJson(1)] },
        ]),
      );
      const trashed = 'include=playlists&filter[image_id]=2,3,9&filter[trashed]=with';
      expect(await listed(trashed)).toEqual(
        onePage(trashed, [
          { ...imageJson(2), playlists: [] },
          { ...imageJson(3), playlists: [] },
          { ...imageJson(9), playlists: [playlistJson(1), playlistJson(4)] },
        ]),
      );
      const filtered =
        'include=playlists&filter[image_id]=9&filter[playlist][hashid]=priv1,unl1,pub1';
      expect((await listed(filtered)).images).toEqual([
        { ...imageJson(9), playlists: [playlistJson(1)] },
      ]);
    });

    it('should render every include after the fields in the contract order, whatever order was asked', async () => {
      const query = 'include=playlists,studios,artists,anime&filter[image_id]=1';
      const body = await listed(query);
      expect(body).toEqual(
        onePage(query, [
          {
            ...imageJson(1),
            anime: [animeJson(1), animeJson(6)],
            artists: [artistJson(2, 1)],
            studios: [studioJson(1)],
            playlists: [playlistJson(1)],
          },
        ]),
      );
      expect(Object.keys(body.images[0])).toEqual([
        'image_id',
        'path',
        'facet',
        'link',
        'created_at',
        'updated_at',
        'anime',
        'artists',
        'studios',
        'playlists',
      ]);
    });

    it('should render every allowed field of every type when asked, in the contract order', async () => {
      const query =
        'include=anime,artists,studios,playlists&filter[image_id]=1&fields[image]=deleted_at,' +
        IMAGE_ALL_FIELDS.slice(0, -1).join(',') +
        `&fields[anime]=${[...ANIME_ALL_FIELDS].reverse().join(',')}` +
        '&fields[artist]=information,created_at,updated_at,deleted_at,artist_id,name,slug' +
        `&fields[studio]=${STUDIO_ALL_FIELDS.join(',')}&fields[playlist]=${PLAYLIST_ALL_FIELDS.join(',')}`;
      const body = await listed(query);
      const all = [
        'artist_id',
        'name',
        'slug',
        'information',
        'created_at',
        'updated_at',
        'deleted_at',
      ];
      expect(body.images).toEqual([
        {
          ...imageJson(1, IMAGE_ALL_FIELDS),
          anime: [animeJson(1, ANIME_ALL_FIELDS), animeJson(6, ANIME_ALL_FIELDS)],
          artists: [artistJson(2, 1, all)],
          studios: [studioJson(1, STUDIO_ALL_FIELDS)],
          playlists: [playlistJson(1, PLAYLIST_ALL_FIELDS)],
        },
      ]);
      expect(Object.keys(body.images[0])).toEqual([
        ...IMAGE_ALL_FIELDS,
        'anime',
        'artists',
        'studios',
        'playlists',
      ]);
      expect(Object.keys(body.images[0].anime[0])).toEqual(ANIME_ALL_FIELDS);
      expect(body.images[0].anime[0].synopsis).toBe('Space bounty hunters.');
    });

    it('should render only the asked fields and still join includes on ids it does not render', async () => {
      const query =
        'include=artists,anime&filter[image_id]=6,10&fields[image]=facet&fields[artist]=name&fields[anime]=year';
      expect(await listed(query)).toEqual(
        onePage(query, [
          {
            facet: 'Cover',
            anime: [],
            artists: [
              { name: 'Yoko Kanno', artistimage: { depth: 2 } },
              { name: 'Seatbelts', artistimage: { depth: 1 } },
            ],
          },
          { facet: 'Cover', anime: [{ year: 1998 }, { year: 2000 }, { year: 1988 }], artists: [] },
        ]),
      );
    });

    it('should compute link when only link is asked, and leave it out when only path is', async () => {
      const query = 'filter[image_id]=2&fields[image]=link';
      expect(await listed(query)).toEqual(onePage(query, [{ link: imageJson(2).link }]));
      const pathOnly = 'filter[image_id]=2&fields[image]=path';
      expect(await listed(pathOnly)).toEqual(
        onePage(pathOnly, [{ path: 'anime/small-cover/bebop.avif' }]),
      );
    });

    it('should render the defaults of a type given no fields even when another type has fields', async () => {
      const query = 'include=studios&filter[image_id]=3&fields[anime]=name';
      expect(await listed(query)).toEqual(
        onePage(query, [{ ...imageJson(3), studios: [studioJson(2)] }]),
      );
    });

    it.each([
      ['sort[anime]=-year', [4, 3, 5]],
      ['sort[anime]=year', [5, 3, 4]],
      ['sort[anime]=name', [5, 4, 3]],
      ['sort[anime]=-name', [3, 4, 5]],
      ['sort[anime]=season,-anime_id', [4, 3, 5]],
      ['sort[anime]=-slug', [3, 4, 5]],
      ['sort[anime]=-created_at', [5, 4, 3]],
    ])('should order included anime of image 10 by %s', async (sort, ids) => {
      const body = await listed(`include=anime&filter[image_id]=10&${sort}`);
      expect(body.images).toEqual([{ ...imageJson(10), anime: ids.map((id) => animeJson(id)) }]);
    });

    it.each([
      ['sort[artist]=name', [2, 1]],
      ['sort[artist]=-artist_id', [2, 1]],
      ['sort[artist]=-updated_at', [2, 1]],
      ['sort[artist]=slug', [2, 1]],
    ])('should order included artists of image 6 by %s', async (sort, ids) => {
      const body = await listed(`include=artists&filter[image_id]=6&${sort}`);
      expect(body.images).toEqual([
        { ...imageJson(6), artists: ids.map((id) => artistJson(id, 6)) },
      ]);
    });

    it.each([
      ['sort[studio]=name', [2, 1]],
      ['sort[studio]=-studio_id', [2, 1]],
      ['sort[studio]=slug', [2, 1]],
    ])('should order included studios of image 8 by %s', async (sort, ids) => {
      const body = await listed(`include=studios&filter[image_id]=8&${sort}`);
      expect(body.images).toEqual([{ ...imageJson(8), studios: ids.map((id) => studioJson(id)) }]);
    });

    it.each([
      ['sort[playlist]=-hashid', [4, 1]],
      ['sort[playlist]=hashid', [1, 4]],
      ['sort[playlist]=-playlist_id', [4, 1]],
      ['sort[playlist]=name', [4, 1]],
    ])('should order included playlists of image 9 by %s', async (sort, ids) => {
      const body = await listed(
        `include=playlists&filter[image_id]=9&filter[trashed]=with&${sort}`,
      );
      expect(body.images).toEqual([
        { ...imageJson(9), playlists: ids.map((id) => playlistJson(id)) },
      ]);
    });

    it('should refuse an unknown or duplicate include with 422', async () => {
      await expectRefused(
        'include=nope',
        'include',
        "Unknown include 'nope'. Allowed includes: anime, artists, studios, playlists.",
      );
      await expectRefused(
        'include=anime,anime',
        'include',
        "include lists 'anime' more than once.",
      );
    });

    it('should refuse fieldsets that are unknown, duplicated or not bracketed with 422', async () => {
      await expectRefused(
        'fields[image]=nope',
        'fields.image',
        "Unknown field 'nope' in fields[image]. Allowed fields: image_id, path, facet, link, created_at, updated_at, deleted_at.",
      );
      await expectRefused(
        'fields[image]=path,path',
        'fields.image',
        "fields[image] lists 'path' more than once.",
      );
      await expectRefused(
        'fields[nope]=a',
        'fields.nope',
        "Unknown type 'nope' in fields[nope]. Types: image, anime, artist, studio, playlist.",
      );
      await expectRefused(
        'fields=image',
        'fields',
        'fields must name one type: fields[<type>]=<comma list of fields>. Types: image, anime, artist, studio, playlist.',
      );
    });

    it('should refuse an unknown parameter and a parameter given twice with 422', async () => {
      await expectRefused(
        'nope=1',
        'nope',
        "Unknown parameter 'nope'. Allowed parameters: include, fields[<type>], filter[...], sort or sort[<type>], page[size], page[number], page[cursor].",
      );
      await expectRefused(
        'include=anime&include=artists',
        'include',
        'The parameter include was given more than once (or as a list); give it once, with a comma-separated value.',
      );
    });
  },
  { env: { PUBLIC_URL } },
);
