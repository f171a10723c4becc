import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { headerLineCount } from '../common/header-lines';
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
    return claimOfRequest(this.dataSource, request);
  }
}

/**
 * As `IdempotencyClaimPipe`, for a write whose 404s come before the key's 422 (an attach: API.md
 * section 9 orders 404 before 409/422): the write calls the function when it has found what the
 * path names. The claim is made once; a malformed key throws its 422 from the call.
 */
@Injectable()
export class LateIdempotencyClaimPipe implements PipeTransform<
  ClaimedRequest,
  LateIdempotencyClaim
> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transform(request: ClaimedRequest): LateIdempotencyClaim {
    let made = false;
    let claim: IdempotencyClaim | undefined;
    return () => {
      if (!made) {
        claim = claimOfRequest(this.dataSource, request);
        made = true;
      }
      return claim;
    };
  }
}

/** The request's claim, made when the write asks for it (`LateIdempotencyOf`). */
export type LateIdempotencyClaim = () => IdempotencyClaim | undefined;

function claimOfRequest(
  dataSource: DataSource,
  request: ClaimedRequest,
): IdempotencyClaim | undefined {
  const sub = request.user?.sub;
  if (sub === undefined) return undefined;
  // Two header lines (which Node joins into one value) are as malformed as a bad key.
  const key = request.headers['idempotency-key'];
  const twoLines =
    key !== undefined && headerLineCount(request.raw.rawHeaders, 'idempotency-key') > 1;
  const claim = idempotencyClaim(
    dataSource,
    sub,
    twoLines ? [] : key,
    request.method,
    request.routeOptions.url ?? request.url,
  );
  if (claim !== undefined && !request.isMultipart()) claim.describe(comparableBody(request.body));
  return claim;
}

/**
 * The claim of a write sent with the key `rawKey` (undefined: none) by `sub`, on the route
 * `method route` as HTTP names it: the message patterns name their route so, and a retry may
 * switch transports. A malformed key is a 422.
 */
export function idempotencyClaim(
  dataSource: DataSource,
  sub: string,
  rawKey: unknown,
  method: string,
  route: string,
): IdempotencyClaim | undefined {
  // A key that is not a string (a message field) is as malformed as two header lines.
  const key = parseIdempotencyKey(typeof rawKey === 'string' || rawKey === undefined ? rawKey : []);
  return key === undefined
    ? undefined
    : new IdempotencyClaim(idempotencyKeyHash(sub, key), method, route, dataSource);
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

/** `IdempotencyOf` for a write whose 404s come first: a function the write calls for the claim. */
export const LateIdempotencyOf = (): ParameterDecorator =>
  RequestOf(undefined, LateIdempotencyClaimPipe);

/** Adds `Idempotent-Replayed: true` when the answer was the first attempt's. */
export function answeredIdempotently(
  reply: FastifyReply,
  claim: IdempotencyClaim | undefined,
): void {
  if (claim?.replayed === true) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
}
