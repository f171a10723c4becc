import type { Response } from 'supertest';
import { bumpChangeVersions } from '../src/database/change-versions';
import { ImageService } from '../src/image/image.service';
import { PivotService } from '../src/pivot/pivot.service';
import { CONNECT_TIMEOUT_CODE } from '../src/database/database-timeouts';
import { ResourceReader } from '../src/query';
import { metricValue } from './helpers/metrics';
import { recordStatements } from './helpers/statement-recorder';
import { seedReadFixtures } from './helpers/fixtures';
import { createTestApp, describeEachDatabase, type TestApp } from './helpers/test-app';
import { signTestToken } from './helpers/tokens';

/**
 * The reads answered before Nest's handler (src/query/reader/reads-first.ts): an app with the
 * shortcut and one without it (`readsFirst: false`), both with the response cache on and at
 * LOG_LEVEL=debug (so they say `X-Cache`), on one database, are sent the same requests in the same
 * order, writes between them; every answer must be the same but for its Request-Id and Date. A
 * second pair does the same with the cache off. The shortcut's answers are told apart by the read
 * handlers (the services' list and show) not running.
 */
const HOST = 'reads.test';
const ENV = { LOG_LEVEL: 'debug', RESPONSE_CACHE_MB: '8' };

/**
 * Status, headers but the per-answer ones, and body bytes (of a random page, which rows differ: its
 * row count).
 */
function answer(response: Response, random: boolean): unknown {
  const headers: Record<string, unknown> = { ...response.headers };
  delete headers['request-id'];
  delete headers.date;
  if (random) delete headers['content-length'];
  const text = random
    ? (JSON.parse(response.text) as { images: unknown[] }).images.length
    : response.text;
  return { status: response.status, headers, text };
}

/** How many times an app's read handlers (the image and pivot services' list and show) ran. */
function countReadHandlers(app: TestApp): () => number {
  let handled = 0;
  for (const service of [app.app.get(ImageService), app.app.get(PivotService)]) {
    for (const name of ['list', 'show'] as const) {
      const read = (service[name] as (...args: unknown[]) => unknown).bind(service);
      jest.spyOn(service, name).mockImplementation((...args: unknown[]) => {
        handled += 1;
        return read(...args) as never;
      });
    }
  }
  return () => handled;
}

interface SendOptions {
  readonly host?: string;
  readonly ifNoneMatch?: string;
  readonly method?: 'get' | 'head';
}

/**
 * Sends one request to the app with the shortcut, then to the one without; expects the same
 * answer from both and returns the first app's, and whether its read handler ran.
 */
async function sendBoth(
  early: TestApp,
  handledByEarly: () => number,
  late: TestApp,
  path: string,
  options: SendOptions = {},
): Promise<{ response: Response; handled: boolean }> {
  const send = (app: TestApp) => {
    const request = app
      .http()
      [options.method ?? 'get'](path)
      .set('Host', options.host ?? HOST);
    return options.ifNoneMatch === undefined
      ? request
      : request.set('If-None-Match', options.ifNoneMatch);
  };
  const before = handledByEarly();
  const response = await send(early);
  const handled = handledByEarly() > before;
  const other = await send(late);
  const random = path.includes('sort=random');
  expect([path, answer(response, random)]).toEqual([path, answer(other, random)]);
  return { response, handled };
}

describeEachDatabase(
  'reads before the handler',
  (context) => {
    let plain: TestApp;
    let handled: () => number;
    /** The same pair with the response cache off. */
    let earlyOff: TestApp;
    let plainOff: TestApp;
    let handledOff: () => number;

    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
      const { database } = context();
      const kind = database.kind;
      const off = { ...ENV, RESPONSE_CACHE_MB: '0' };
      plain = await createTestApp(kind, { database, env: ENV, setup: { readsFirst: false } });
      earlyOff = await createTestApp(kind, { database, env: off });
      plainOff = await createTestApp(kind, { database, env: off, setup: { readsFirst: false } });
      handled = countReadHandlers(context());
      handledOff = countReadHandlers(earlyOff);
    });
    afterAll(async () => {
      await plain?.close();
      await earlyOff?.close();
      await plainOff?.close();
    });

    const both = (path: string, options: SendOptions = {}) =>
      sendBoth(context(), handled, plain, path, options);
    const bothOff = (path: string, options: SendOptions = {}) =>
      sendBoth(earlyOff, handledOff, plainOff, path, options);

    it('should answer lists and shows without the handler, as the handler would, a repeat from the cache', async () => {
      for (const path of [
        '/api/image',
        '/api/image?include=anime,artists&page[size]=3',
        '/api/image?page[size]=2&sort=-facet,image_id&fields[image]=path',
        '/api/animeimage?include=anime,image',
        '/api/artistimage?page[size]=2',
        '/api/image/2?include=anime,artists,studios',
        '/api/image/002?fields[image]=path',
      ]) {
        const first = await both(path);
        expect([
          path,
          first.response.status,
          first.response.headers['x-cache'],
          first.handled,
        ]).toEqual([path, 200, 'miss', false]);
        const again = await both(path);
        expect([path, again.response.headers['x-cache'], again.handled]).toEqual([
          path,
          'hit',
          false,
        ]);
      }
    });

    it('should answer with the cache off as the handler does', async () => {
      for (const path of [
        '/api/image',
        '/api/image?include=anime,artists&page[size]=3',
        '/api/image?page[cursor]=&page[size]=2',
        '/api/image?sort=random',
        '/api/studioimage?page[size]=7',
        '/api/image/3?include=anime',
        '/api/image/99999',
        '/api/image/abc',
        '/api/image?page[size]=0',
        '/api/image?page[cursor]=not-a-cursor',
      ]) {
        const { response, handled: ran } = await bothOff(path);
        expect([path, response.headers['x-cache'], ran]).toEqual([path, undefined, false]);
      }
      const { response } = await bothOff('/api/image?page[size]=4');
      const matched = await bothOff('/api/image?page[size]=4', {
        ifNoneMatch: response.headers.etag,
      });
      expect([matched.response.status, matched.handled]).toEqual([304, false]);
      expect((await bothOff('/api/image/2', { method: 'head' })).handled).toBe(true);
    });

    it('should answer another spelling and another host with their own links and ETag', async () => {
      await both('/api/image?page[size]=3&filter[facet]=Cover');
      const spelt = await both('/api/image?filter[facet]=Cover&page%5Bsize%5D=3', {
        host: 'other.test',
      });
      expect([spelt.response.headers['x-cache'], spelt.handled]).toEqual(['hit', false]);
      expect(spelt.response.body.links.first).toBe(
        'http://other.test/api/image?filter[facet]=Cover&page%5Bsize%5D=3&page[number]=1',
      );
    });

    it('should walk keyset pages from the cache, each under its cursor', async () => {
      const first = await both('/api/image?page[cursor]=&page[size]=2');
      const next = first.response.body.links.next as string;
      const path = next.slice(next.indexOf('/api/'));
      expect((await both(path)).response.headers['x-cache']).toBe('miss');
      const again = await both(path);
      expect([again.response.headers['x-cache'], again.handled]).toEqual(['hit', false]);
      expect(
        again.response.body.images.map((image: { image_id: number }) => image.image_id),
      ).toEqual([3, 4]);
    });

    it('should answer 304 without the handler, and a stale or foreign tag with the page', async () => {
      for (const path of ['/api/image?page[size]=4', '/api/image/4']) {
        const { response } = await both(path);
        const tag = response.headers.etag;
        const matched = await both(path, { ifNoneMatch: tag });
        expect([path, matched.response.status, matched.handled]).toEqual([path, 304, false]);
        expect((await both(path, { ifNoneMatch: `W/${tag}, "other"` })).response.status).toBe(304);
        expect((await both(path, { ifNoneMatch: '*' })).response.status).toBe(304);
        const other = await both(path, { ifNoneMatch: '"other"' });
        expect([path, other.response.status, other.handled]).toEqual([path, 200, false]);
      }
    });

    it('should answer bad queries and ids as the handler does, leaving them and HEAD to it', async () => {
      for (const path of [
        '/api/image?page[size]=0',
        '/api/image?page[cursor]=not-a-cursor',
        '/api/image?filter[nope]=1',
        '/api/image/2?page[size]=2',
        '/api/image/abc?include=nope',
      ]) {
        await both(path);
        expect([path, (await both(path)).response.status]).toEqual([path, 422]);
      }
      for (const path of ['/api/image/0', '/api/image/abc', '/api/image/99999', '/api/image/-1']) {
        expect([path, (await both(path)).response.status]).toEqual([path, 404]);
      }
      for (const path of ['/api/image?sort=random', '/api/image?page[size]=3&sort=random']) {
        const { response, handled: ran } = await both(path);
        expect([path, response.status, ran]).toEqual([path, 200, false]);
      }
      for (const path of ['/api/image?page[size]=5', '/api/image/5']) {
        expect((await both(path, { method: 'head' })).handled).toBe(true);
      }
      // A pivot's show is left to its controller.
      expect((await both('/api/animeimage/cowboy_bebop/1')).handled).toBe(true);
    });

    it('should read the page and the image again after a write, a link and a direct change', async () => {
      const paths = [
        '/api/image?page[size]=50',
        '/api/animeimage?page[size]=50',
        '/api/image/2?include=anime',
      ];
      for (const path of paths) {
        await both(path);
        expect((await both(path)).response.headers['x-cache']).toBe('hit');
      }
      const token = `Bearer ${signTestToken()}`;
      const created = await context()
        .http()
        .post('/api/image')
        .set('Authorization', token)
        .send({ path: 'covers/first-hits.png', facet: 'Cover' })
        .expect(201);
      await context()
        .http()
        .post(`/api/animeimage/cowboy_bebop/${created.body.image.image_id}`)
        .set('Authorization', token)
        .expect(201);
      for (const path of paths.slice(0, 2)) {
        const after = await both(path);
        expect([path, after.response.headers['x-cache'], after.handled]).toEqual([
          path,
          'miss',
          false,
        ]);
        expect(after.response.text).toContain(`"image_id":${created.body.image.image_id}`);
        expect((await both(path)).response.headers['x-cache']).toBe('hit');
      }
      // A change made in SQL, its version bumped as the service does.
      await context().dataSource.query(
        "UPDATE images SET path = 'grill/changed.png' WHERE image_id = 2",
      );
      await bumpChangeVersions(context().dataSource, ['images']);
      const after = await both(paths[0]);
      expect(after.response.headers['x-cache']).toBe('miss');
      expect(after.response.body.images[1]).toMatchObject({
        image_id: 2,
        path: 'grill/changed.png',
      });
      const shown = await both(paths[2]);
      expect([shown.response.headers['x-cache'], shown.response.body.image.path]).toEqual([
        'miss',
        'grill/changed.png',
      ]);
    });

    it('should send the statements the handler sends, for a miss, a hit and a page the data changed under', async () => {
      const early = recordStatements(context().dataSource);
      const late = recordStatements(plain.dataSource);
      const VERSION =
        /^SELECT SUM\(version\) AS total, MAX\(changed_at\) AS latest FROM change_versions$/;
      const statementsOf = async (path: string) => {
        early.length = 0;
        late.length = 0;
        await both(path);
        return { early: [...early], late: [...late] };
      };
      for (const path of [
        '/api/image?page[size]=7&include=anime',
        '/api/studioimage?page[size]=7',
        '/api/image/7?include=artists',
      ]) {
        const miss = await statementsOf(path);
        expect(miss.late.length).toBeGreaterThanOrEqual(3);
        expect([path, miss.early]).toEqual([path, miss.late]);
        const hit = await statementsOf(path);
        expect([path, hit.early, hit.late]).toEqual([
          path,
          [expect.stringMatching(VERSION)],
          [expect.stringMatching(VERSION)],
        ]);
        await bumpChangeVersions(context().dataSource, ['images']);
        const changed = await statementsOf(path);
        expect(changed.early.length).toBeGreaterThanOrEqual(3);
        expect([path, changed.early]).toEqual([path, changed.late]);
      }
    });

    it("should answer a failed read through Nest's exception layer, as the handler's, without reading again", async () => {
      const failure = () =>
        Object.assign(new Error('No database connection within 5 ms'), {
          code: CONNECT_TIMEOUT_CODE,
        });
      const reader = context().app.get(ResourceReader);
      const plainReader = plain.app.get(ResourceReader);
      for (const [path, method] of [
        ['/api/image?page[size]=8', 'readPage'],
        ['/api/image/8', 'readOne'],
      ] as const) {
        const read = jest.spyOn(reader, method).mockRejectedValueOnce(failure());
        const failing = jest.spyOn(plainReader, method).mockRejectedValueOnce(failure());
        try {
          const { response, handled: ran } = await both(path);
          expect([path, response.status, response.body, ran]).toEqual([
            path,
            503,
            { message: expect.any(String) },
            false,
          ]);
          expect([read.mock.calls.length, failing.mock.calls.length]).toEqual([1, 1]);
        } finally {
          read.mockRestore();
          failing.mockRestore();
        }
      }
    });

    it('should count each hit and miss once in /metrics', async () => {
      const sample = (name: string) => metricValue(context(), name);
      const hits = await sample('response_cache_hits_total');
      const misses = await sample('response_cache_misses_total');
      for (const path of ['/api/image?page[size]=6&fields[image]=facet', '/api/image/6']) {
        await both(path);
        await both(path);
        await both(path);
      }
      expect([
        (await sample('response_cache_hits_total')) - hits,
        (await sample('response_cache_misses_total')) - misses,
      ]).toEqual([4, 2]);
    });
  },
  { env: ENV },
);
