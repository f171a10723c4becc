import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * Registers the (global) throttler storage and options; `@RateLimited()` applies them. In-memory
 * storage: the budget is per process. `RATE_LIMIT_PER_MINUTE=0` turns limiting off (the guard
 * decides that once, at start).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          {
            name: 'default',
            ttl: RATE_LIMIT_WINDOW_MS,
            limit: Math.max(1, config.rateLimitPerMinute),
            // A sliding window: a refused request does not count, and Retry-After says when the
            // oldest counted request leaves the window.
            blockDuration: 0,
          },
        ],
      }),
    }),
  ],
})
export class RateLimitModule {}
