import { describeEachDatabase } from './helpers/test-app';
import {
  imageJson,
  LIST_URL,
  LIVE_IMAGE_IDS,
  onePage,
  PUBLIC_URL,
  seedReadFixtures,
} from './helpers/fixtures';

describeEachDatabase(
  'GET /api/image: pages, links and meta',
  (context) => {
    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
    });

    const get = (url: string) => context().http().get(url);

    it('should list the live images by image_id with default fields and exact links and meta', async () => {
      const response = await get('/api/image').expect(200);
      expect(response.body).toEqual(
        onePage(
          '',
          LIVE_IMAGE_IDS.map((id) => imageJson(id)),
        ),
      );
      expect(Object.keys(response.body)).toEqual(['images', 'links', 'meta']);
      expect(Object.keys(response.body.images[0])).toEqual([
        'image_id',
        'path',
        'facet',
        'link',
        'created_at',
        'updated_at',
      ]);
    });

    it('should answer a middle page with prev and next links that keep the other parameters', async () => {
      const response = await get('/api/image?page[size]=3&sort=-image_id&page[number]=2').expect(
        200,
      );
      expect(response.body).toEqual({
        images: [7, 6, 5].map((id) => imageJson(id)),
        links: {
          first: `${LIST_URL}?page[size]=3&sort=-image_id&page[number]=1`,
          last: null,
          prev: `${LIST_URL}?page[size]=3&sort=-image_id&page[number]=1`,
          next: `${LIST_URL}?page[size]=3&sort=-image_id&page[number]=3`,
        },
        meta: { current_page: 2, from: 4, path: LIST_URL, per_page: 3, to: 6 },
      });
    });

    // Found by a black-box probe: 17 or more digits were refused however small the value.
    it('should read leading zeros as nothing, however many, and keep them in the links', async () => {
      const zeros = '0'.repeat(20);
      const response = await get(
        `/api/image?page[size]=${zeros}3&sort=-image_id&page[number]=${zeros}2&filter[image_id-lte]=${zeros}8`,
      ).expect(200);
      const link = (page: number) =>
        `${LIST_URL}?page[size]=${zeros}3&sort=-image_id&page[number]=${page}&filter[image_id-lte]=${zeros}8`;
      expect(response.body).toEqual({
        images: [5, 4, 3].map((id) => imageJson(id)),
        links: { first: link(1), last: null, prev: link(1), next: link(3) },
        meta: { current_page: 2, from: 4, path: LIST_URL, per_page: 3, to: 6 },
      });
    });

    it('should repeat encoded brackets in links as the request spelt them', async () => {
      const response = await get('/api/image?page%5Bsize%5D=9&filter%5Bfacet%5D=Grill').expect(200);
      expect(response.body).toEqual(
        onePage(
          'page%5Bsize%5D=9&filter%5Bfacet%5D=Grill',
          [5, 7].map((id) => imageJson(id)),
          9,
        ),
      );
    });

    it('should answer the last page with next null when the page is exactly full', async () => {
      const response = await get('/api/image?page[size]=5&page[number]=2').expect(200);
      expect(response.body).toEqual({
        images: [6, 7, 8, 9, 10].map((id) => imageJson(id)),
        links: {
          first: `${LIST_URL}?page[size]=5&page[number]=1`,
          last: null,
          prev: `${LIST_URL}?page[size]=5&page[number]=1`,
          next: null,
        },
        meta: { current_page: 2, from: 6, path: LIST_URL, per_page: 5, to: 10 },
      });
    });

    it('should answer a page past the end with 200, no images and null from/to', async () => {
      const response = await get('/api/image?page[number]=4&page[size]=5').expect(200);
      expect(response.body).toEqual({
        images: [],
        links: {
          first: `${LIST_URL}?page[number]=1&page[size]=5`,
          last: null,
          prev: `${LIST_URL}?page[number]=3&page[size]=5`,
          next: null,
        },
        meta: { current_page: 4, from: null, path: LIST_URL, per_page: 5, to: null },
      });
    });

    it('should answer the largest page number with an empty page, not an error', async () => {
      const response = await get('/api/image?page[number]=2147483647&page[size]=100').expect(200);
      expect(response.body).toEqual({
        images: [],
        links: {
          first: `${LIST_URL}?page[number]=1&page[size]=100`,
          last: null,
          prev: `${LIST_URL}?page[number]=2147483646&page[size]=100`,
          next: null,
        },
        meta: { current_page: 2147483647, from: null, path: LIST_URL, per_page: 100, to: null },
      });
    });

    it.each([1, 2, 3, 4, 100])(
      'should walk every live row exactly once following next links of size %i',
      async (size) => {
        const seen: number[] = [];
        let url: string | null = `${LIST_URL}?page[size]=${size}&sort=-facet,path`;
        let pages = 0;
        while (url !== null) {
          const response = await get(url.slice(PUBLIC_URL.length)).expect(200);
          const body = response.body as {
            images: { image_id: number }[];
            links: { next: string | null };
          };
          seen.push(...body.images.map((image) => image.image_id));
          url = body.links.next;
          pages += 1;
        }
        // -facet then path: Grill (5, 7), Cover (1, 3, 10, 6, 9, 8 by path), Small Cover (2, 4).
        expect(seen).toEqual([5, 7, 1, 3, 10, 6, 9, 8, 2, 4]);
        expect(pages).toBe(Math.max(1, Math.ceil(seen.length / size)));
      },
    );

    it.each([
      ['page[size]=0', 'page.size'],
      ['page[size]=101', 'page.size'],
      ['page[size]=abc', 'page.size'],
      ['page[number]=0', 'page.number'],
      ['page[number]=-1', 'page.number'],
      ['page[number]=1.5', 'page.number'],
    ])('should refuse %s with 422 keyed %s', async (query, key) => {
      const response = await get(`/api/image?${query}`).expect(422);
      expect(Object.keys(response.body.errors)).toEqual([key]);
      expect(response.body.message).toBe(response.body.errors[key][0]);
    });

    it('should accept the page size bounds 1 and 100', async () => {
      const one = await get('/api/image?page[size]=1').expect(200);
      expect(one.body.images).toEqual([imageJson(1)]);
      expect(one.body.links.next).toBe(`${LIST_URL}?page[size]=1&page[number]=2`);
      const hundred = await get('/api/image?page[size]=100').expect(200);
      expect(hundred.body).toEqual(
        onePage(
          'page[size]=100',
          LIVE_IMAGE_IDS.map((id) => imageJson(id)),
          100,
        ),
      );
    });
  },
  { env: { PUBLIC_URL } },
);

describeEachDatabase('GET /api/image: links without PUBLIC_URL', (context) => {
  it("should build absolute links from the request's protocol and host", async () => {
    const response = await context()
      .http()
      .get('/api/image?page[size]=2')
      .set('Host', 'example.org:8080')
      .expect(200);
    expect(response.body).toEqual({
      images: [],
      links: {
        first: 'http://example.org:8080/api/image?page[size]=2&page[number]=1',
        last: null,
        prev: null,
        next: null,
      },
      meta: {
        current_page: 1,
        from: null,
        path: 'http://example.org:8080/api/image',
        per_page: 2,
        to: null,
      },
    });
  });
});
