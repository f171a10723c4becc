import { randomBytes } from 'node:crypto';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { Counter } from 'prom-client';
import type { RedisConfig } from '../config/fleet-config';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** How long a rate-limit check may wait for Redis before the request goes on unlimited. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** How long start-up waits for Redis before it serves (unlimited) without it. */
const REDIS_STARTUP_WAIT_MS = 2000;

/**
 * Requests let through unlimited because the Redis that holds the counters failed. In prom-client's
 * default registry; `/metrics` serves it.
 */
export const rateLimitStoreFailures = new Counter({
  name: 'image_api_rate_limit_store_failures_total',
  help: 'Requests served without a rate limit because the shared counter store (Redis) failed',
});

/**
 * One sliding window per key, as `@nestjs/throttler`'s in-memory storage keeps it with
 * `blockDuration: 0` (rate-limit.module.ts): a sorted set of the counted hits scored by when each
 * leaves the window, plus a window key whose time to live is the record's `timeToExpire`. A refused
 * request is not counted; its `timeToBlockExpire` is when the oldest counted hit leaves. Redis' own
 * clock, so instances with skewed clocks still share one window. Returns milliseconds.
 */
const SLIDING_WINDOW_SCRIPT = `
local hits, window = KEYS[1], KEYS[2]
local ttl, limit, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', hits, '-inf', now)
local toExpire = redis.call('PTTL', window)
if toExpire <= 0 then
  redis.call('SET', window, '1', 'PX', ttl)
  toExpire = ttl
end
local count = redis.call('ZCARD', hits)
if count >= limit then
  local oldest = redis.call('ZRANGE', hits, 0, 0, 'WITHSCORES')
  local toBlockExpire = toExpire
  if oldest[2] then toBlockExpire = tonumber(oldest[2]) - now end
  return {count + 1, toExpire, 1, toBlockExpire}
end
redis.call('ZADD', hits, now + ttl, member)
redis.call('PEXPIRE', hits, ttl)
return {count + 1, toExpire, 0, 0}
`;

interface SlidingWindowRedis extends Redis {
  rateLimitHit(
    hitsKey: string,
    windowKey: string,
    ttl: number,
    limit: number,
    member: string,
  ): Promise<[number, number, number, number]>;
}

/**
 * The throttler's counters in Redis (`REDIS_URL`), shared by every instance, so a client's limit is
 * the same with one instance or ten. The published Redis storages for `@nestjs/throttler` count a
 * fixed window and block with `SET ... PX blockDuration`, which Redis refuses for the sliding
 * window's `blockDuration: 0`; so this is a small one with the in-memory storage's semantics
 * (test/rate-limit-redis.e2e-spec.ts compares the two).
 *
 * It fails open: while Redis is unreachable or slow (over `REDIS_COMMAND_TIMEOUT_MS`), requests are
 * served without a limit, counted in `rateLimitStoreFailures`, with one warning when that starts
 * and one line when Redis is back. Commands are never queued while disconnected.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: SlidingWindowRedis;
  private readonly memberPrefix = randomBytes(6).toString('base64url');
  private sequence = 0;
  private failing = false;

  constructor(private readonly config: RedisConfig) {
    this.redis = new Redis(config.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_STARTUP_WAIT_MS,
      // Reconnect for ever, at most every 2 s.
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
      connectionName: 'image-api-rate-limit',
    }) as SlidingWindowRedis;
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 2, lua: SLIDING_WINDOW_SCRIPT });
    // Connection errors are reported through the requests they fail (`failOpen`), once.
    this.redis.on('error', () => undefined);
  }

  /** Waits (a little) for the first connection, so that a healthy start is limited at once. */
  async connected(): Promise<void> {
    if (this.redis.status === 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.redis.once('ready', resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, REDIS_STARTUP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    // `status` changed while waiting (TypeScript still narrows it from the check above).
    if ((this.redis.status as string) !== 'ready') {
      this.logger.warn(
        `Redis (REDIS_URL) is not reachable yet: requests are served without rate limits until it is`,
      );
      this.failing = true;
    }
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `${this.config.keyPrefix}rate-limit:{${key}}`;
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    try {
      const [totalHits, toExpire, blocked, toBlockExpire] = await this.redis.rateLimitHit(
        `${base}:hits`,
        `${base}:window`,
        ttl,
        limit,
        `${this.memberPrefix}:${this.sequence}`,
      );
      if (this.failing) {
        this.failing = false;
        this.logger.log('Redis is reachable again: rate limits apply again');
      }
      return {
        totalHits,
        timeToExpire: Math.ceil(toExpire / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(toBlockExpire / 1000),
      };
    } catch (error) {
      return this.failOpen(error, ttl);
    }
  }

  private failOpen(error: unknown, ttl: number): ThrottlerStorageRecord {
    rateLimitStoreFailures.inc();
    if (!this.failing) {
      this.failing = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `Rate limits are off while Redis (REDIS_URL) fails: requests are served unlimited (${reason})`,
      );
    }
    return {
      totalHits: 0,
      timeToExpire: Math.ceil(ttl / 1000),
      isBlocked: false,
      timeToBlockExpire: 0,
    };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect(false);
  }
}
