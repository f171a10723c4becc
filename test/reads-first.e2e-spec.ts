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
 * The list cache hits answered before Nest's handler (src/query/reader/cached-lists-first.ts): an
 * app with the shortcut and one without it (`cachedListsFirst: false`), both with the response
 * cache on and at LOG_LEVEL=debug (so they say `X-Cache`), on one database, are sent the same
 * requests in the same order, writes between them; every answer must be the same but for its
 * Request-Id and Date. The shortcut's answers are told apart by the list handler not running.
 */
const HOST = 'lists.test';
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

describeEachDatabase(
  'list cache hits before the handler',
  (context) => {
    let plain: TestApp;
    /** How many times the shortcut app's list handlers ran (image and pivot lists). */
    let handled = 0;

    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
      plain = await createTestApp(context().database.kind, {
        database: context().database,
        env: ENV,
        setup: { cachedListsFirst: false },
      });
      const { app } = context();
      for (const service of [app.get(ImageService), app.get(PivotService)]) {
        const list = service.list.bind(service) as (...args: unknown[]) => unknown;
        jest.spyOn(service, 'list').mockImplementation((...args: unknown[]) => {
          handled += 1;
          return list(...args) as never;
        });
      }
    });
    afterAll(async () => {
      await plain?.close();
    });

    /**
     * Sends one request to both apps; returns the shortcut app's answer and whether its handler ran.
     */
    const both = async (
      path: string,
      options: { host?: string; ifNoneMatch?: string; method?: 'get' | 'head' } = {},
    ) => {
      const send = (app: TestApp) => {
        const request = app
          .http()
          [options.method ?? 'get'](path)
          .set('Host', options.host ?? HOST);
        return options.ifNoneMatch === undefined
          ? request
          : request.set('If-None-Match', options.ifNoneMatch);
      };
      const before = handled;
      const early = await send(context());
      const ran = handled > before;
      const late = await send(plain);
      const random = path.includes('sort=random');
      expect([path, answer(early, random)]).toEqual([path, answer(late, random)]);
      return { response: early, handled: ran };
    };

    it('should answer a repeated list from the cache without the handler, as the handler would', async () => {
      for (const path of [
        '/api/image',
        '/api/image?include=anime,artists&page[size]=3',
        '/api/image?page[size]=2&sort=-facet,image_id&fields[image]=path',
        '/api/animeimage?include=anime,image',
        '/api/artistimage?page[size]=2',
      ]) {
        const first = await both(path);
        expect([
          path,
          first.response.status,
          first.response.headers['x-cache'],
          first.handled,
        ]).toEqual([path, 200, 'miss', true]);
        const again = await both(path);
        expect([path, again.response.headers['x-cache'], again.handled]).toEqual([
          path,
          'hit',
          false,
        ]);
      }
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
      expect((await both(path)).handled).toBe(true);
      const again = await both(path);
      expect([again.response.headers['x-cache'], again.handled]).toEqual(['hit', false]);
      expect(
        again.response.body.images.map((image: { image_id: number }) => image.image_id),
      ).toEqual([3, 4]);
    });

    it('should answer 304 without the handler, and a stale or foreign tag with the page', async () => {
      const path = '/api/image?page[size]=4';
      const { response } = await both(path);
      const tag = response.headers.etag;
      const matched = await both(path, { ifNoneMatch: tag });
      expect([matched.response.status, matched.handled]).toEqual([304, false]);
      expect((await both(path, { ifNoneMatch: `W/${tag}, "other"` })).response.status).toBe(304);
      expect((await both(path, { ifNoneMatch: '*' })).response.status).toBe(304);
      const other = await both(path, { ifNoneMatch: '"other"' });
      expect([other.response.status, other.handled]).toEqual([200, false]);
    });

    it('should leave bad queries, sort=random and HEAD to the handler, with its answers', async () => {
      for (const path of [
        '/api/image?page[size]=0',
        '/api/image?page[cursor]=not-a-cursor',
        '/api/image?filter[nope]=1',
      ]) {
        await both(path);
        expect([path, (await both(path)).response.status]).toEqual([path, 422]);
      }
      for (const path of ['/api/image?sort=random', '/api/image?page[size]=3&sort=random']) {
        await both(path);
        expect([path, (await both(path)).handled]).toEqual([path, true]);
      }
      await both('/api/image?page[size]=5', { method: 'head' });
      expect((await both('/api/image?page[size]=5', { method: 'head' })).handled).toBe(true);
    });

    it('should read the page again after a write, a link and a direct change', async () => {
      const paths = ['/api/image?page[size]=50', '/api/animeimage?page[size]=50'];
      for (const path of paths) {
        await both(path);
        expect((await both(path)).handled).toBe(false);
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
      for (const path of paths) {
        const after = await both(path);
        expect([path, after.response.headers['x-cache'], after.handled]).toEqual([
          path,
          'miss',
          true,
        ]);
        expect(after.response.text).toContain(`"image_id":${created.body.image.image_id}`);
        expect((await both(path)).handled).toBe(false);
      }
      // A change made in SQL, its version bumped as the service does.
      await context().dataSource.query(
        "UPDATE images SET path = 'grill/changed.png' WHERE image_id = 2",
      );
      await bumpChangeVersions(context().dataSource, ['images']);
      const after = await both(paths[0]);
      expect([after.response.headers['x-cache'], after.handled]).toEqual(['miss', true]);
      expect(after.response.body.images[1]).toMatchObject({
        image_id: 2,
        path: 'grill/changed.png',
      });
    });

    it("should send a miss's statements as the handler does, a hit's version read alone, and one version read more for a page the data changed under", async () => {
      const early = recordStatements(context().dataSource);
      const late = recordStatements(plain.dataSource);
      const VERSION =
        /^SELECT SUM\(version\) AS total, MAX\(changed_at\) AS latest FROM change_versions$/;
      const statementsOf = async (path: string) => {
        early.length = 0;
        late.length = 0;
        const { handled } = await both(path);
        return { handled, early: [...early], late: [...late] };
      };
      for (const path of [
        '/api/image?page[size]=7&include=anime',
        '/api/studioimage?page[size]=7',
      ]) {
        const miss = await statementsOf(path);
        expect(miss.late.length).toBeGreaterThanOrEqual(3);
        expect([path, miss.early]).toEqual([path, miss.late]);
        const hit = await statementsOf(path);
        expect([path, hit.handled, hit.early]).toEqual([
          path,
          false,
          [expect.stringMatching(VERSION)],
        ]);
        await bumpChangeVersions(context().dataSource, ['images']);
        const changed = await statementsOf(path);
        expect([path, changed.handled, changed.early]).toEqual([
          path,
          true,
          [expect.stringMatching(VERSION), ...changed.late],
        ]);
      }
    });

    it("should answer a failed version read through Nest's exception layer, as the handler's, without reading again", async () => {
      const path = '/api/image?page[size]=8';
      await both(path);
      const failure = () =>
        Object.assign(new Error('No database connection within 5 ms'), {
          code: CONNECT_TIMEOUT_CODE,
        });
      const reader = context().app.get(ResourceReader);
      const cached = jest.spyOn(reader, 'readCachedPage').mockRejectedValueOnce(failure());
      const read = jest.spyOn(reader, 'readPage');
      const failing = jest
        .spyOn(plain.app.get(ResourceReader), 'readPage')
        .mockRejectedValueOnce(failure());
      try {
        const { response, handled } = await both(path);
        expect([response.status, response.body, handled]).toEqual([
          503,
          { message: expect.any(String) },
          false,
        ]);
        expect([
          cached.mock.calls.length,
          read.mock.calls.length,
          failing.mock.calls.length,
        ]).toEqual([1, 0, 1]);
      } finally {
        cached.mockRestore();
        read.mockRestore();
        failing.mockRestore();
      }
    });

    it('should count each hit and miss once in /metrics', async () => {
      const sample = (name: string) => metricValue(context(), name);
      const hits = await sample('response_cache_hits_total');
      const misses = await sample('response_cache_misses_total');
      const path = '/api/image?page[size]=6&fields[image]=facet';
      await both(path);
      await both(path);
      await both(path);
      expect([
        (await sample('response_cache_hits_total')) - hits,
        (await sample('response_cache_misses_total')) - misses,
      ]).toEqual([2, 1]);
    });
  },
  { env: ENV },
);
