import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { AuthModule } from '../auth/auth.module';
import type { AppConfig } from '../config/app-config';
import { RATE_LIMIT_WINDOW_MS, RateLimitGuard } from './rate-limit.guard';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * The per-client rate limit of the routes marked `@RateLimited()`: the throttler's storage and
 * options, and `RateLimitGuard` as a global guard. With `RATE_LIMIT_PER_MINUTE=0` the module is
 * empty, so that no request pays for a guard. Global guards of the HTTP app do not reach the
 * message handlers (their transports have their own application config, main.ts does not inherit
 * it).
 *
 * With `REDIS_URL` the counters live in Redis, shared by every instance (`RedisThrottlerStorage`,
 * failing open); without it, in memory, so each process has its own budget.
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (config.rateLimitPerMinute === 0) return { module: RateLimitModule };
    return {
      module: RateLimitModule,
      imports: [
        AuthModule,
        ThrottlerModule.forRootAsync({
          useFactory: async (): Promise<ThrottlerModuleOptions> => {
            const redis = config.fleet.redis;
            const storage = redis === undefined ? undefined : new RedisThrottlerStorage(redis);
            await storage?.connected();
            return {
              throttlers: [
                {
                  name: 'default',
                  ttl: RATE_LIMIT_WINDOW_MS,
                  limit: config.rateLimitPerMinute,
                  // A sliding window: a refused request does not count, and Retry-After says when
                  // the oldest counted request leaves the window.
                  blockDuration: 0,
                },
              ],
              storage,
            };
          },
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    };
  }
}
