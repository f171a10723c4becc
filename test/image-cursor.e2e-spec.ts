import {
  CURSOR_OTHER_QUERY_MESSAGE,
  CURSOR_WITH_NUMBER_MESSAGE,
  CURSOR_WITH_RANDOM_MESSAGE,
  CursorCodec,
  INVALID_CURSOR_MESSAGE,
} from '../src/query';
import { insertImageRow } from './helpers/image-rows';
import { describeEachDatabase, TEST_CURSOR_SECRET } from './helpers/test-app';

/**
 * Keyset pagination (`page[cursor]`): walking every sort key both ways visits every row exactly once
 * and in the offset order; `links.prev` walks back; cursors are signed and bound to their query.
 *
 * The rows are made to tie on every sort key (facets cycle, paths and timestamps repeat, a sixth of
 * them are soft-deleted, some at the same instant), so the image_id tie-breaker and the NULLs of
 * `deleted_at` are what keep pages apart.
 */
const ROWS = 37;
const pad = (n: number) => String(n).padStart(2, '0');
const DELETED = (i: number) => i % 6 === 0;

interface ListBody {
  images: { image_id: number }[];
  links: { first: string; last: null; prev: string | null; next: string | null };
  meta: Record<string, unknown>;
}

const pathOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

describeEachDatabase('GET /api/image: keyset pages (page[cursor])', (context) => {
  beforeAll(async () => {
    for (let i = 1; i <= ROWS; i++) {
      await insertImageRow(context().dataSource, {
        image_id: i,
        path: `covers/${i % 7}.jpg`,
        facet: i % 3,
        created_at: `2024-01-${pad(1 + (i % 5))} 00:00:00.000000`,
        updated_at: `2024-02-01 00:00:00.${String(i % 4).padStart(6, '0')}`,
        deleted_at: DELETED(i) ? `2024-03-${pad(1 + (i % 4))} 00:00:00.000000` : null,
      });
    }
  });

  const get = async (path: string, status = 200): Promise<ListBody> => {
    const response = await context().http().get(path).expect(status);
    return response.body as ListBody;
  };

  /** The ids in the offset order: the reference every walk must reproduce. */
  const offsetOrder = async (query: string): Promise<number[]> =>
    (await get(`/api/image?${query}&page[size]=100`)).images.map((image) => image.image_id);

  /** Follows `links.next` from the first cursor page to the end, then `links.prev` back. */
  const walk = async (query: string) => {
    const forward: number[][] = [];
    let body = await get(`/api/image?${query}&page[size]=4&page[cursor]=`);
    forward.push(body.images.map((image) => image.image_id));
    while (body.links.next !== null) {
      body = await get(pathOf(body.links.next));
      forward.push(body.images.map((image) => image.image_id));
    }
    const backward: number[][] = [forward[forward.length - 1]];
    while (body.links.prev !== null) {
      body = await get(pathOf(body.links.prev));
      backward.unshift(body.images.map((image) => image.image_id));
    }
    return { forward, backward };
  };

  const sorts = ['image_id', 'facet', 'path', 'created_at', 'updated_at', 'deleted_at'];
  it.each(
    sorts.flatMap((key) =>
      [key, `-${key}`].flatMap((sort) => [
        `sort=${sort}`,
        ...(key === 'deleted_at' || key === 'facet' ? [`sort=${sort}&filter[trashed]=with`] : []),
      ]),
    ),
  )('should walk %s by cursor both ways, every row once, as the offset order', async (query) => {
    const expected = await offsetOrder(query);
    const { forward, backward } = await walk(query);
    expect(forward.flat()).toEqual(expected);
    expect(new Set(forward.flat()).size).toBe(expected.length);
    // Full pages but the last, which is not empty.
    expect(forward.slice(0, -1).every((page) => page.length === 4)).toBe(true);
    expect(forward[forward.length - 1].length).toBeGreaterThan(0);
    // Walking back by links.prev gives the same pages.
    expect(backward).toEqual(forward);
  });

  // Found by a probe: sort=image_id,-deleted_at answered 500 on SQLite past a live row (a
  // parameter bound for a bound the statement no longer had). Every two-key order, both ways.
  it.each(
    sorts.flatMap((first) =>
      sorts
        .filter((second) => second !== first)
        .flatMap((second) =>
          [
            `${first},${second}`,
            `${first},-${second}`,
            `-${first},${second}`,
            `-${first},-${second}`,
          ].map((sort) => `sort=${sort}&filter[trashed]=with`),
        ),
    ),
  )('should walk %s by cursor both ways as the offset order', async (query) => {
    const { forward, backward } = await walk(query);
    expect(forward.flat()).toEqual(await offsetOrder(query));
    expect(backward).toEqual(forward);
  });

  it('should walk a filtered, two-key order with has-free filters too', async () => {
    const query = 'filter[facet-not]=Grill&sort=-created_at,path&filter[trashed]=with';
    const { forward, backward } = await walk(query);
    expect(forward.flat()).toEqual(await offsetOrder(query));
    expect(backward).toEqual(forward);
  });

  it('should answer page[cursor]= with the first page, cursor links and null positions', async () => {
    const response = await context()
      .http()
      .get('/api/image?fields[image]=image_id&page[cursor]=&page[size]=2')
      .expect(200);
    const body = response.body as ListBody;
    expect(body.images).toEqual([{ image_id: 1 }, { image_id: 2 }]);
    const origin = new URL(body.links.first).origin;
    const next = new URL(body.links.next as string).searchParams.get('page[cursor]') as string;
    expect(next).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(body).toEqual({
      images: [{ image_id: 1 }, { image_id: 2 }],
      links: {
        first: `${origin}/api/image?fields[image]=image_id&page[cursor]=&page[size]=2`,
        last: null,
        prev: null,
        next: `${origin}/api/image?fields[image]=image_id&page[cursor]=${next}&page[size]=2`,
      },
      meta: {
        current_page: null,
        from: null,
        path: `${origin}/api/image`,
        per_page: 2,
        to: null,
      },
    });
    // The next page starts right after image 2 and links back to the page before it.
    const second = await get(pathOf(body.links.next as string));
    expect(second.images).toEqual([{ image_id: 3 }, { image_id: 4 }]);
    const prev = await get(pathOf(second.links.prev as string));
    expect(prev.images).toEqual([{ image_id: 1 }, { image_id: 2 }]);
    expect(prev.links.prev).toBeNull();
  });

  const firstNextCursor = async (query: string): Promise<string> => {
    const body = await get(`/api/image?${query}&page[cursor]=`);
    return new URL(body.links.next as string).searchParams.get('page[cursor]') as string;
  };

  const expectRefused = async (query: string, message: string) => {
    const response = await context().http().get(`/api/image?${query}`).expect(422);
    expect(response.body).toEqual({ message, errors: { 'page.cursor': [message] } });
  };

  it('should refuse a tampered cursor with 422 at page.cursor', async () => {
    const cursor = await firstNextCursor('page[size]=3');
    const [payload, signature] = cursor.split('.');
    const decoded = Buffer.from(payload, 'base64url').toString('utf8');
    // The position moved forward by hand, signature kept: refused.
    const forged = Buffer.from(decoded.replace(/\[3\]/, '[30]')).toString('base64url');
    expect(forged).not.toBe(payload);
    await expectRefused(`page[size]=3&page[cursor]=${forged}.${signature}`, INVALID_CURSOR_MESSAGE);
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    await expectRefused(`page[size]=3&page[cursor]=${payload}.${flipped}`, INVALID_CURSOR_MESSAGE);
    await expectRefused(`page[size]=3&page[cursor]=${payload}`, INVALID_CURSOR_MESSAGE);
    await expectRefused('page[size]=3&page[cursor]=not-a-cursor', INVALID_CURSOR_MESSAGE);
    await expectRefused('page[size]=3&page[cursor]=a%20b', INVALID_CURSOR_MESSAGE);
    // Signed with another secret: refused as well.
    const foreign = new CursorCodec('another-secret-of-another-deployment-0123456789');
    const binding = JSON.parse(decoded)[1] as string;
    await expectRefused(
      `page[size]=3&page[cursor]=${foreign.encode(binding, { direction: 'after', values: [3] })}`,
      INVALID_CURSOR_MESSAGE,
    );
    // The test secret makes a cursor the service accepts (the codec is the service's own).
    const own = new CursorCodec(TEST_CURSOR_SECRET).encode(binding, {
      direction: 'after',
      values: [30],
    });
    const body = await get(`/api/image?page[size]=3&page[cursor]=${own}`);
    expect(body.images.map((image) => image.image_id)).toEqual([31, 32, 33]);
  });

  it.each([
    ['other filters', 'filter[facet]=Cover&page[size]=3'],
    ['another trashed mode', 'filter[trashed]=with&page[size]=3'],
    ['filter[has]', 'filter[has]=anime&page[size]=3'],
    ['another sort', 'sort=-image_id&page[size]=3'],
    ['the same key, the other way', 'sort=-facet&page[size]=3'],
    ['another page size', 'page[size]=4'],
  ])('should refuse a cursor replayed with %s with 422 at page.cursor', async (_what, query) => {
    const cursor = await firstNextCursor('filter[facet-not]=Grill&sort=facet&page[size]=3');
    await expectRefused(`${query}&page[cursor]=${cursor}`, CURSOR_OTHER_QUERY_MESSAGE);
  });

  it('should accept a cursor of the default order with sort=image_id written out', async () => {
    const cursor = await firstNextCursor('page[size]=3');
    const body = await get(`/api/image?sort=image_id&page[size]=3&page[cursor]=${cursor}`);
    expect(body.images.map((image) => image.image_id)).toEqual([4, 5, 7]);
  });

  it('should accept a cursor with another include or fields (they move no row)', async () => {
    const cursor = await firstNextCursor('page[size]=3');
    const body = await get(
      `/api/image?include=anime&fields[image]=image_id&page[size]=3&page[cursor]=${cursor}`,
    );
    expect(body.images).toEqual([
      { image_id: 4, anime: [] },
      { image_id: 5, anime: [] },
      { image_id: 7, anime: [] },
    ]);
  });

  it('should refuse page[cursor] with page[number], and with sort=random', async () => {
    await expectRefused('page[cursor]=&page[number]=2', CURSOR_WITH_NUMBER_MESSAGE);
    await expectRefused('sort=random&page[cursor]=', CURSOR_WITH_RANDOM_MESSAGE);
  });

  it('should answer a cursor past either end with an empty page and no prev or next', async () => {
    const cursor = await firstNextCursor('page[size]=3');
    const payload = Buffer.from(cursor.split('.')[0], 'base64url').toString('utf8');
    const binding = JSON.parse(payload)[1] as string;
    const codec = new CursorCodec(TEST_CURSOR_SECRET);
    for (const position of [
      { direction: 'after' as const, values: [ROWS] },
      { direction: 'before' as const, values: [1] },
    ]) {
      const body = await get(
        `/api/image?page[size]=3&page[cursor]=${codec.encode(binding, position)}`,
      );
      expect(body.images).toEqual([]);
      expect(body.links.prev).toBeNull();
      expect(body.links.next).toBeNull();
    }
  });
});

// Found by a black-box probe: a cursor carries the values of its sort keys, and a 255-character
// path of 3- or 4-byte characters made a cursor longer than page[cursor] took (422 on its own link).
describeEachDatabase('GET /api/image: keyset pages over the longest paths', (context) => {
  const PATHS = ['😀'.repeat(255), 'あ'.repeat(255), '𝒜'.repeat(254) + 'a', 'short'];
  beforeAll(async () => {
    for (const [index, path] of PATHS.entries()) {
      await insertImageRow(context().dataSource, {
        image_id: index + 1,
        path,
        created_at: '2024-01-01 00:00:00.123456',
        updated_at: '2024-01-02 00:00:00.123456',
        deleted_at: index === 0 ? '2024-01-03 00:00:00.123456' : null,
      });
    }
  });

  it.each(['sort=-path', 'sort=path,-created_at,updated_at,-deleted_at,facet'])(
    'should walk %s one row a page both ways by its own links',
    async (sort) => {
      const query = `${sort}&filter[trashed]=with`;
      const get = async (path: string) =>
        (await context().http().get(path).expect(200)).body as ListBody;
      const expected = (await get(`/api/image?${query}&page[size]=10`)).images.map(
        (image) => image.image_id,
      );
      expect(expected).toHaveLength(PATHS.length);
      let body = await get(`/api/image?${query}&page[size]=1&page[cursor]=`);
      const forward = [body.images.map((image) => image.image_id)];
      while (body.links.next !== null) {
        body = await get(pathOf(body.links.next));
        forward.push(body.images.map((image) => image.image_id));
      }
      expect(forward.flat()).toEqual(expected);
      const backward = [forward[forward.length - 1]];
      while (body.links.prev !== null) {
        body = await get(pathOf(body.links.prev));
        backward.unshift(body.images.map((image) => image.image_id));
      }
      expect(backward).toEqual(forward);
    },
  );
});
