import { describeEachDatabase } from './helpers/test-app';
import {
  imageJson,
  LIVE_IMAGE_IDS,
  onePage,
  PUBLIC_URL,
  seedReadFixtures,
} from './helpers/fixtures';

describeEachDatabase(
  'GET /api/image: sort',
  (context) => {
    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
    });

    const expectOrder = async (query: string, ids: number[]) => {
      const response = await context().http().get(`/api/image?${query}`).expect(200);
      expect(response.body).toEqual(
        onePage(
          query,
          ids.map((id) => imageJson(id)),
        ),
      );
    };

    const expectRefused = async (query: string, key: string, message: string) => {
      const response = await context().http().get(`/api/image?${query}`).expect(422);
      expect(response.body).toEqual({ message, errors: { [key]: [message] } });
    };

    const byPath = [1, 3, 10, 2, 4, 6, 5, 7, 9, 8];

    it.each([
      ['sort=image_id', LIVE_IMAGE_IDS],
      ['sort=-image_id', [...LIVE_IMAGE_IDS].reverse()],
      // image_id is always the last tie-breaker, in the direction of the last key: equal facets
      // keep image_id ascending for sort=facet and descending for sort=-facet.
      ['sort=facet', [2, 4, 1, 3, 6, 8, 9, 10, 5, 7]],
      ['sort=-facet', [7, 5, 10, 9, 8, 6, 3, 1, 4, 2]],
      ['sort=path', byPath],
      ['sort=-path', [...byPath].reverse()],
      ['sort=created_at&filter[trashed]=with', [1, 11, 12, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
      ['sort=-created_at&filter[trashed]=with', [10, 9, 8, 7, 6, 5, 4, 3, 2, 12, 11, 1]],
      ['sort=updated_at', [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]],
      ['sort=-updated_at', LIVE_IMAGE_IDS],
      ['sort=deleted_at&filter[trashed]=with', [...LIVE_IMAGE_IDS, 11, 12]],
      ['sort=-deleted_at&filter[trashed]=with', [12, 11, ...[...LIVE_IMAGE_IDS].reverse()]],
      ['sort=facet,-path', [4, 2, 8, 9, 6, 10, 3, 1, 7, 5]],
      ['sort=-facet,-image_id', [7, 5, 10, 9, 8, 6, 3, 1, 4, 2]],
      ['sort[image]=-facet', [7, 5, 10, 9, 8, 6, 3, 1, 4, 2]],
      ['sort=-facet,image_id', [5, 7, 1, 3, 6, 8, 9, 10, 2, 4]],
    ])('should order by %s', (query, ids) => expectOrder(query, ids));

    it('should answer sort=random with every live image once and keep it in the links', async () => {
      const response = await context().http().get('/api/image?sort=random').expect(200);
      const ids = response.body.images.map((image: { image_id: number }) => image.image_id);
      expect([...ids].sort((a, b) => a - b)).toEqual(LIVE_IMAGE_IDS);
      expect(response.body).toEqual(
        onePage(
          'sort=random',
          ids.map((id: number) => imageJson(id)),
        ),
      );
    });

    it('should refuse random with another key, a key twice, an unknown key and mixed forms with 422', async () => {
      await expectRefused(
        'sort=random,image_id',
        'sort',
        "random can't be combined with other keys in sort.",
      );
      await expectRefused('sort=path,-path', 'sort', "sort sorts by 'path' more than once.");
      await expectRefused('sort=facet,facet', 'sort', "sort sorts by 'facet' more than once.");
      await expectRefused(
        'sort=nope',
        'sort',
        "Unknown sort key 'nope' in sort. Allowed: image_id, path, facet, created_at, updated_at, deleted_at (prefix - for descending), or random alone.",
      );
      await expectRefused(
        'sort=path&sort[anime]=name',
        'sort',
        "sort and sort[anime] can't be combined: sort each type with sort[<type>] (sort[image] for the images).",
      );
    });
  },
  { env: { PUBLIC_URL } },
);
