import {
  applyDecorators,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import type { DataSource } from 'typeorm';
import { IdempotencyClaim } from './idempotency-claim';
import { idempotencyKeyHash, parseIdempotencyKey } from './idempotency-key';

/** Says on a replayed answer that it is the first attempt's (as Stripe's API does). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

type ClaimedRequest = FastifyRequest & {
  user?: { sub: string };
  idempotencyClaim?: IdempotencyClaim;
};

/**
 * Reads `Idempotency-Key` on a route marked `@Idempotent()` (after the guard: the key is kept per
 * `sub`): a malformed key is a 422; a valid one becomes the request's `IdempotencyClaim`, which the
 * handler takes with `@IdempotencyOf()` and hands to its write. A JSON body is described here.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<ClaimedRequest>();
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    const sub = request.user?.sub;
    if (key === undefined || sub === undefined) return next.handle();
    const claim = new IdempotencyClaim(
      idempotencyKeyHash(sub, key),
      request.method,
      request.routeOptions.url ?? request.url,
      this.dataSource,
    );
    if (!request.isMultipart()) claim.describe(request.body ?? null);
    request.idempotencyClaim = claim;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      tap(() => {
        if (claim.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      }),
    );
  }
}

/** The request's `IdempotencyClaim` (undefined without an `Idempotency-Key`), for its write. */
export const IdempotencyOf = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyClaim | undefined =>
    context.switchToHttp().getRequest<ClaimedRequest>().idempotencyClaim,
);

/** Marks a write route as taking `Idempotency-Key` (API.md section 10). */
export const Idempotent = (): MethodDecorator & ClassDecorator =>
  applyDecorators(UseInterceptors(IdempotencyInterceptor));
