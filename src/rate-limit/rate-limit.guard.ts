import { ExecutionContext, HttpStatus, Inject, Injectable, SetMetadata } from '@nestjs/common';
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
import { TokenVerifier } from '../auth/token-verifier';
import { ApiError, defaultMessage } from '../common/api-error';

const RATE_LIMITED = 'image-api:rate-limited';

/** How long a request counts against its client's budget (the window slides). */
export const RATE_LIMIT_WINDOW_MS = 60_000;
const ALLOWED = Promise.resolve(true);

/**
 * RATE_LIMIT_PER_MINUTE per client (API.md section 8), one budget per client across all API routes.
 * A client is the `sub` of a valid bearer token, otherwise the caller's IP address.
 *
 * A global guard that `RateLimitModule.forRoot` registers only when limiting is on, and that limits
 * the HTTP routes of controllers marked `@RateLimited()`. With `RATE_LIMIT_PER_MINUTE=0` no guard
 * exists at all: a guard that only said yes still cost every request Nest's guard pipeline (an
 * execution context and three awaited promises).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly tokens: TokenVerifier,
  ) {
    super(options, storage, reflector);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    const limited =
      context.getType() === 'http' &&
      this.reflector.getAllAndOverride<boolean | undefined>(RATE_LIMITED, [
        context.getHandler(),
        context.getClass(),
      ]) === true;
    return limited ? super.canActivate(context) : ALLOWED;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const fastifyRequest = request as unknown as FastifyRequest;
    // Verified once per request: the route's guard gets the same answer without verifying again.
    // Not waited for when the JWKS endpoint would have to be asked: the IP's bucket then.
    const user = await this.tokens.userAtHand(fastifyRequest).catch(() => null);
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

  /**
   * `X-RateLimit-Reset` on an answer within the limit: the moment (epoch seconds) the whole budget
   * is back if the client sends nothing more, a window after this request, since the window slides.
   * The throttler's value is the end of a fixed period that starts with a client's first request,
   * which a sliding window does not have.
   */
  protected override setResponseHeader(
    reply: Record<string, unknown>,
    name: string,
    value: string | number,
  ): void {
    const header = name === 'X-RateLimit-Reset' ? resetAt(RATE_LIMIT_WINDOW_MS / 1000) : value;
    void (reply as unknown as FastifyReply).header(name, header);
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply
      .header('X-RateLimit-Limit', detail.limit)
      .header('X-RateLimit-Remaining', 0)
      .header('X-RateLimit-Reset', resetAt(detail.timeToBlockExpire));
    throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, defaultMessage(HttpStatus.TOO_MANY_REQUESTS));
  }
}

/** Epoch seconds `secondsFromNow` seconds from now, rounded up. */
function resetAt(secondsFromNow: number): number {
  return Math.ceil(Date.now() / 1000 + Math.max(0, secondsFromNow));
}

/** Puts a controller's routes under the per-client rate limit (when it is on). */
export const RateLimited = (): ClassDecorator & MethodDecorator => SetMetadata(RATE_LIMITED, true);
