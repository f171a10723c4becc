import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '../auth/auth.module';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RateLimitGuard } from './rate-limit.guard';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * The per-client rate limit of the routes marked `@RateLimited()`: the throttler's (global) storage
 * and options, and `RateLimitGuard` as a global guard — only when `RATE_LIMIT_PER_MINUTE` is above
 * 0, so that with limiting off no request pays for a guard. In-memory storage: the budget is per
 * process. Global guards of the HTTP app do not reach the message handlers (their transports have
 * their own application config, main.ts does not inherit it).
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [
        AuthModule,
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (appConfig: AppConfig) => ({
            throttlers: [
              {
                name: 'default',
                ttl: RATE_LIMIT_WINDOW_MS,
                limit: Math.max(1, appConfig.rateLimitPerMinute),
                // A sliding window: a refused request does not count, and Retry-After says when the
                // oldest counted request leaves the window.
                blockDuration: 0,
              },
            ],
          }),
        }),
      ],
      providers:
        config.rateLimitPerMinute > 0 ? [{ provide: APP_GUARD, useClass: RateLimitGuard }] : [],
    };
  }
}
