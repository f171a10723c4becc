import { Logger } from '@nestjs/common';
import { IMAGE_QUERY_SCHEMA } from '../src/image/image.query-schema';
import { ImageIndexCheckService } from '../src/image/image-index-check.service';
import {
  describeUnserved,
  findUnservedIndexes,
  indexRequirements,
} from '../src/query/typeorm/index-check';
import { insertImageRow } from './helpers/image-rows';
import { createTestApp, describeEachDatabase } from './helpers/test-app';

/**
 * The index check at start: the migrated schema serves every filterable and sortable image column
 * and every pivot join; dropping one index is reported by name (and logged as a warning).
 */
describeEachDatabase('index check at start', (context) => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('should require an index for each filterable or sortable image column and both sides of each pivot', () => {
    expect(indexRequirements(IMAGE_QUERY_SCHEMA).map(describeUnserved)).toEqual([
      'images: no index starts with (image_id, ...) or (deleted_at, image_id, ...), needed for filter and sort by image_id',
      'images: no index starts with (path, ...) or (deleted_at, path, ...), needed for filter and sort by path',
      'images: no index starts with (facet, ...) or (deleted_at, facet, ...), needed for filter and sort by facet',
      'images: no index starts with (created_at, ...) or (deleted_at, created_at, ...), needed for filter and sort by created_at',
      'images: no index starts with (updated_at, ...) or (deleted_at, updated_at, ...), needed for filter and sort by updated_at',
      'images: no index starts with (deleted_at, ...), needed for filter and sort by deleted_at',
      'anime_image: no index starts with (image_id, ...), needed for include=anime and filter[has]=anime (anime_image by images)',
      'anime_image: no index starts with (anime_id, ...), needed for the images of one anime (anime_image by anime)',
      'anime: no index starts with (anime_id, ...), needed for include=anime (joined from anime_image)',
      'artist_image: no index starts with (image_id, ...), needed for include=artists and filter[has]=artists (artist_image by images)',
      'artist_image: no index starts with (artist_id, ...), needed for the images of one artist (artist_image by artists)',
      'artists: no index starts with (artist_id, ...), needed for include=artists (joined from artist_image)',
      'studio_image: no index starts with (image_id, ...), needed for include=studios and filter[has]=studios (studio_image by images)',
      'studio_image: no index starts with (studio_id, ...), needed for the images of one studio (studio_image by studios)',
      'studios: no index starts with (studio_id, ...), needed for include=studios (joined from studio_image)',
      'playlist_image: no index starts with (image_id, ...), needed for include=playlists and filter[has]=playlists (playlist_image by images)',
      'playlist_image: no index starts with (playlist_id, ...), needed for the images of one playlist (playlist_image by playlists)',
      'playlists: no index starts with (playlist_id, ...), needed for include=playlists (joined from playlist_image)',
    ]);
  });

  it('should find every requirement served by the migrated schema, and log no warning', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await findUnservedIndexes(context().dataSource, IMAGE_QUERY_SCHEMA)).toEqual([]);
    expect(await context().app.get(ImageIndexCheckService).check()).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('should report and log an image column and a pivot join whose index was dropped', async () => {
    for (let id = 1; id <= 5; id++) await insertImageRow(context().dataSource, { image_id: id });
    // A keyset page by path before and after its index is dropped (on MySQL it names that index).
    const keysetPage = async () => {
      const first = await context().http().get('/api/image?sort=path&page[size]=2&page[cursor]=');
      const next = new URL(first.body.links.next as string);
      const page = await context().http().get(`${next.pathname}${next.search}`).expect(200);
      return page.body.images.map((image: { image_id: number }) => image.image_id) as number[];
    };
    expect(await keysetPage()).toEqual([3, 4]);

    const runner = context().dataSource.createQueryRunner();
    try {
      await runner.dropIndex('images', 'images_deleted_at_path_index');
      // On MySQL the foreign key on image_id needs an index of its own: it goes first.
      if (context().database.kind === 'mysql') {
        await runner.dropForeignKey('studio_image', 'studio_image_image_id_foreign');
      }
      await runner.dropIndex('studio_image', 'studio_image_image_id_index');
    } finally {
      await runner.release();
    }
    expect(await keysetPage()).toEqual([3, 4]);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unserved = await context().app.get(ImageIndexCheckService).check();
    const messages = [
      'images: no index starts with (path, ...) or (deleted_at, path, ...), needed for filter and sort by path',
      'studio_image: no index starts with (image_id, ...), needed for include=studios and filter[has]=studios (studio_image by images)',
    ];
    expect(unserved.map(describeUnserved)).toEqual(messages);
    expect(warn.mock.calls).toEqual(messages.map((message) => [`Missing index: ${message}`]));

    // A service starting on that database says so in its log.
    warn.mockClear();
    const second = await createTestApp(context().database.kind, { database: context().database });
    await second.close();
    const indexWarnings = warn.mock.calls.filter(([line]) => String(line).includes('index'));
    expect(indexWarnings).toEqual(messages.map((message) => [`Missing index: ${message}`]));
  });
});
