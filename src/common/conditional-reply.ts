import type { FastifyReply } from 'fastify';
import { ConditionalResult } from './entity-tag';

/**
 * How public reads may be cached: stored by anyone, but revalidated (If-None-Match) before every
 * reuse, which the ETag makes cheap.
 */
export const PUBLIC_READ_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
/** A representation that is different every time (sort=random): never stored. */
export const UNCACHEABLE_CACHE_CONTROL = 'no-store';
/** What Fastify sends a serialised object as. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Turns the `ConditionalResult` of a read into HTTP: `ETag` and `Cache-Control` on every answer,
 * and `304 Not Modified` with no body when the client's tag still matches (`X-Cache` when the result
 * says whether the response cache answered); returns the body to send (an already serialised one
 * as its bytes, which Fastify sends as they are). A plain function of the handler rather than an
 * interceptor: an interceptor costs every request an async resource and an observable (about 5 % of
 * a list request's CPU when measured).
 */
export async function conditionalReply<T>(
  reply: FastifyReply,
  pending: Promise<ConditionalResult<T>>,
): Promise<T | Buffer | undefined> {
  return conditionalAnswer(reply, await pending);
}

/** `conditionalReply` for a result at hand. */
export function conditionalAnswer<T>(
  reply: FastifyReply,
  result: ConditionalResult<T>,
): T | Buffer | undefined {
  if (result.cache !== undefined) void reply.header('x-cache', result.cache);
  if (result.tag === null) {
    void reply.header('cache-control', UNCACHEABLE_CACHE_CONTROL);
    return result.body;
  }
  void reply.header('etag', result.tag);
  void reply.header('cache-control', PUBLIC_READ_CACHE_CONTROL);
  if (result.json !== undefined) {
    void reply.header('content-type', JSON_CONTENT_TYPE);
    return result.json;
  }
  if (!result.notModified) return result.body;
  void reply.status(304);
  return undefined;
}
