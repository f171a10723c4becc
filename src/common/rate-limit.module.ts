import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '../auth/auth.module';
import type { AppConfig } from '../config/app-config';
import { RateLimitGuard } from './rate-limit.guard';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * The per-client rate limit of the routes marked `@RateLimited()`: the throttler's storage and
 * options, and `RateLimitGuard` as a global guard. With `RATE_LIMIT_PER_MINUTE=0` the module is
 * empty, so that no request pays for a guard. In-memory storage: the budget is per process. Global
 * guards of the HTTP app do not reach the message handlers (their transports have their own
 * application config, main.ts does not inherit it).
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (config.rateLimitPerMinute === 0) return { module: RateLimitModule };
    return {
      module: RateLimitModule,
      imports: [
        AuthModule,
        ThrottlerModule.forRoot({
          throttlers: [
            {
              name: 'default',
              ttl: RATE_LIMIT_WINDOW_MS,
              limit: config.rateLimitPerMinute,
              // A sliding window: a refused request does not count, and Retry-After says when the
              // oldest counted request leaves the window.
              blockDuration: 0,
            },
          ],
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    };
  }
}
