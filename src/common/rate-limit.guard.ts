import { ExecutionContext, HttpStatus, Inject, Injectable, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  getOptionsToken,
  getStorageToken,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, TokenVerifier } from '../auth/token-verifier';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { ApiError, defaultMessage } from './api-error';

const ALLOWED = Promise.resolve(true);

/**
 * RATE_LIMIT_PER_MINUTE per client (API.md section 8), one budget per client across all API routes.
 * A client is the `sub` of a valid bearer token, otherwise the caller's IP address.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly disabled: boolean;

  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly tokens: TokenVerifier,
    @InjectAppConfig() config: AppConfig,
  ) {
    super(options, storage, reflector);
    // RATE_LIMIT_PER_MINUTE=0 turns limiting off, decided once here rather than per request (the
    // base guard's skip options would await a check and read route metadata on every request).
    this.disabled = config.rateLimitPerMinute === 0;
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    return this.disabled ? ALLOWED : super.canActivate(context);
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const fastifyRequest = request as unknown as FastifyRequest;
    const token = bearerToken(fastifyRequest.headers.authorization);
    const user = token === undefined ? null : await this.tokens.verify(token);
    return user === null ? `ip:${fastifyRequest.ip}` : `sub:${user.sub}`;
  }

  /** One bucket per client, not one per route. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('X-RateLimit-Limit', detail.limit).header('X-RateLimit-Remaining', 0);
    throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, defaultMessage(HttpStatus.TOO_MANY_REQUESTS));
  }
}

/** Puts a controller's routes under the per-client rate limit. */
export const RateLimited = (): ClassDecorator & MethodDecorator => UseGuards(RateLimitGuard);
