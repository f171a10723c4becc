import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import {
  rateLimitStoreFailures,
  RedisThrottlerStorage,
} from '../src/rate-limit/redis-throttler.storage';
import { stablePort } from './helpers/ports';
import { createTestApp, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { bearer, signTestToken } from './helpers/tokens';
import {
  deleteKeys,
  OwnRedisServer,
  TEST_REDIS_URL,
  uniqueRedisPrefix,
} from './helpers/redis-server';

/**
 * Rate limits shared through Redis (REDIS_URL): the same answers as the in-memory storage, one
 * budget across two app instances, and requests still served (unlimited, logged, counted) while
 * Redis is down or frozen. The machine's Redis with a key prefix of this file's own; the outage
 * tests on a Redis server the test starts and kills itself (on a port of its own).
 */
const TOO_MANY = { message: 'Too Many Attempts.' };
const prefix = uniqueRedisPrefix();

afterAll(async () => {
  await deleteKeys(prefix);
});

const failures = async (): Promise<number> =>
  (await rateLimitStoreFailures.get()).values[0]?.value ?? 0;

describe('RedisThrottlerStorage against the in-memory storage', () => {
  let redis: RedisThrottlerStorage;
  let memory: ThrottlerStorageService;

  beforeAll(async () => {
    redis = new RedisThrottlerStorage({ url: TEST_REDIS_URL, keyPrefix: `${prefix}parity:` });
    await redis.connected();
    memory = new ThrottlerStorageService();
  });

  afterAll(() => {
    redis.onApplicationShutdown();
    memory.onApplicationShutdown();
  });

  it('should answer a burst past the limit exactly as the in-memory storage does', async () => {
    const answers = async (storage: RedisThrottlerStorage | ThrottlerStorageService) => {
      const records = [];
      for (let hit = 0; hit < 6; hit += 1) {
        records.push(await storage.increment('default:ip:10.0.0.1', 60_000, 4, 0, 'default'));
      }
      records.push(await storage.increment('default:ip:10.0.0.2', 60_000, 4, 0, 'default'));
      return records;
    };
    const expected = await answers(memory);
    expect(await answers(redis)).toEqual(expected);
    expect(expected).toEqual([
      { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
      { totalHits: 2, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
      { totalHits: 3, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
      { totalHits: 4, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
      { totalHits: 5, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 60 },
      { totalHits: 5, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 60 },
      { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
    ]);
  });

  it('should slide: a hit leaves the window ttl after it was counted, and refused ones never count', async () => {
    const key = 'default:sub:slider';
    const hit = () => redis.increment(key, 600, 2, 0, 'default');
    expect((await hit()).isBlocked).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await hit()).isBlocked).toBe(false);
    expect(await hit()).toMatchObject({ isBlocked: true, totalHits: 3 });
    // The first hit leaves at 600 ms, the second at 900 ms; the refused one never entered.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 2 });
    expect(await hit()).toMatchObject({ isBlocked: true, totalHits: 3 });
  });

  it('should keep its keys under the configured prefix, with a time to live', async () => {
    const { default: Redis } = await import('ioredis');
    const client = new Redis(TEST_REDIS_URL);
    try {
      const keys = (await client.keys(`${prefix}parity:*`)).sort();
      expect(keys).toEqual([
        `${prefix}parity:rate-limit:{default:ip:10.0.0.1}:hits`,
        `${prefix}parity:rate-limit:{default:ip:10.0.0.1}:window`,
        `${prefix}parity:rate-limit:{default:ip:10.0.0.2}:hits`,
        `${prefix}parity:rate-limit:{default:ip:10.0.0.2}:window`,
        `${prefix}parity:rate-limit:{default:sub:slider}:hits`,
        `${prefix}parity:rate-limit:{default:sub:slider}:window`,
      ]);
      for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });
});

describe.each(testDatabaseKinds())(
  'one rate limit across two instances (REDIS_URL) [%s]',
  (kind) => {
    const LIMIT = 3;
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      const env = {
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: `${prefix}${kind}:`,
      };
      a = await createTestApp(kind, { env });
      b = await createTestApp(kind, { env, database: a.database });
    });

    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('should count a client once across both instances and refuse it on either', async () => {
      const remaining: string[] = [];
      for (const app of [a, b, a]) {
        const response = await app.http().get('/api/image').expect(200);
        remaining.push(response.headers['x-ratelimit-remaining']);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      for (const app of [b, a]) {
        const refused = await app.http().get('/api/image').expect(429);
        expect(refused.body).toEqual(TOO_MANY);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      }
    });

    it('should give a token sub its own shared budget, whichever instance counts it', async () => {
      const dana = bearer(signTestToken({ sub: `dana-${kind}` }));
      await a.http().get('/api/image').set('Authorization', dana).expect(200);
      await b.http().get('/api/image').set('Authorization', dana).expect(200);
      const last = await b.http().get('/api/image').set('Authorization', dana).expect(200);
      expect(last.headers['x-ratelimit-remaining']).toBe('0');
      await a.http().get('/api/image').set('Authorization', dana).expect(429);
    });
  },
);

describe('a Redis outage (a server of the test, killed and frozen)', () => {
  const LIMIT = 2;
  let server: OwnRedisServer;
  let app: TestApp;
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeAll(async () => {
    server = new OwnRedisServer(await stablePort());
    await server.start();
    warn = jest.spyOn(Logger.prototype, 'warn');
    log = jest.spyOn(Logger.prototype, 'log');
    app = await createTestApp('sqlite', {
      env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), REDIS_URL: server.url },
    });
  });

  afterAll(async () => {
    await app?.close();
    await server?.close();
    warn.mockRestore();
    log.mockRestore();
  });

  const client = (sub: string) => bearer(signTestToken({ sub }));
  const warnings = () =>
    warn.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('Redis'));

  it('should limit while Redis answers', async () => {
    const erin = client('erin');
    await app.http().get('/api/image').set('Authorization', erin).expect(200);
    await app.http().get('/api/image').set('Authorization', erin).expect(200);
    await app.http().get('/api/image').set('Authorization', erin).expect(429);
    expect(warnings()).toEqual([]);
  });

  it('should serve every request unlimited while Redis is down, warn once and count each', async () => {
    await server.stop();
    const before = await failures();
    const erin = client('erin');
    for (let request = 0; request < 5; request += 1) {
      const response = await app.http().get('/api/image').set('Authorization', erin);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(expect.objectContaining({ images: [] }));
    }
    expect(await failures()).toBe(before + 5);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(
      /^Rate limits are off while Redis \(REDIS_URL\) fails: requests are served unlimited \(/,
    );
  });

  it('should limit again once Redis is back (counting afresh: its counters were lost)', async () => {
    await server.start();
    const frank = client('frank');
    // The client reconnects by itself within about 2 s.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const response = await app.http().get('/api/image').set('Authorization', frank);
      expect(response.status).toBe(200);
      if (response.headers['x-ratelimit-remaining'] === String(LIMIT - 1)) break;
      if (Date.now() > deadline) throw new Error('the rate limit did not come back');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await app.http().get('/api/image').set('Authorization', frank).expect(200);
    await app.http().get('/api/image').set('Authorization', frank).expect(429);
    expect(log.mock.calls.map(([message]) => String(message))).toContain(
      'Redis is reachable again: rate limits apply again',
    );
  });

  it('should answer within the command timeout while Redis is frozen (no answer, no error)', async () => {
    server.pause();
    try {
      const before = await failures();
      const started = Date.now();
      const response = await app.http().get('/api/image').set('Authorization', client('gina'));
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await failures()).toBe(before + 1);
    } finally {
      server.resume();
    }
  });
});
