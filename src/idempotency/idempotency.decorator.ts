import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { IdempotencyClaim } from './idempotency-claim';
import { comparableBody, idempotencyKeyHash, parseIdempotencyKey } from './idempotency-key';

/** Says on a replayed answer that it is the first attempt's (as Stripe's API does). */
const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

type ClaimedRequest = FastifyRequest & { user?: { sub: string } };

/**
 * Reads `Idempotency-Key` (the route's guard has run: the key is kept per `sub`): a malformed key
 * is a 422; a valid one becomes the request's `IdempotencyClaim`. A JSON body is described here.
 * A pipe rather than an interceptor: Nest's interceptor chain (rxjs, two bound async resources)
 * cost every write more than the claim itself (docs/PERFORMANCE.md).
 */
@Injectable()
export class IdempotencyClaimPipe implements PipeTransform<
  ClaimedRequest,
  IdempotencyClaim | undefined
> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transform(request: ClaimedRequest): IdempotencyClaim | undefined {
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    const sub = request.user?.sub;
    if (key === undefined || sub === undefined) return undefined;
    const claim = new IdempotencyClaim(
      idempotencyKeyHash(sub, key),
      request.method,
      request.routeOptions.url ?? request.url,
      this.dataSource,
    );
    if (!request.isMultipart()) claim.describe(comparableBody(request.body));
    return claim;
  }
}

const RequestOf = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClaimedRequest =>
    context.switchToHttp().getRequest<ClaimedRequest>(),
);

/**
 * Marks a write as taking `Idempotency-Key` (API.md section 10): the request's `IdempotencyClaim`
 * (undefined without the header), for its write; the handler ends with `answeredIdempotently`.
 */
export const IdempotencyOf = (): ParameterDecorator => RequestOf(undefined, IdempotencyClaimPipe);

/** Adds `Idempotent-Replayed: true` when the answer was the first attempt's. */
export function answeredIdempotently(
  reply: FastifyReply,
  claim: IdempotencyClaim | undefined,
): void {
  if (claim?.replayed === true) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
}
