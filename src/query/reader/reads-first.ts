import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { conditionalAnswer } from '../../common/conditional-reply';
import { parsedQueriesOf, rawQueryOf } from '../query.decorator';
import type { ParsedQuery } from '../query.types';
import { type ReadableResource, requestReadContext } from './readable-resource';
import type { ResourceReader } from './resource-reader';

/** A list route whose cache hits are answered before the framework's handler. */
export interface CachedListRoute {
  /** The route's path as registered (`/api/image`). */
  readonly path: string;
  readonly resource: ReadableResource;
  /** The request's `ReadContext.baseUrl`, as the route's controller makes it. */
  readonly baseUrl: (request: FastifyRequest) => string;
}

/**
 * A measured shortcut (docs/PERFORMANCE.md, "Cache hits before Nest"): a list page the response
 * cache holds (or a 304) is answered by a route-level Fastify `preHandler`, from the same parse
 * (`parsedQueriesOf`), the same reader and the same `conditionalReply` (its `conditionalAnswer`) as
 * the controller, without Nest's handler pipeline, which was about a tenth of a hit's instructions.
 * A query the cache holds no page for goes on to the controller, without a statement, as if the
 * hook were not there (read, stored and counted there), as does a query that does not parse; so
 * does one whose page the data changed under, after the version read (the controller reads the
 * version again). A failed version read goes to Nest's exception layer, as the controller's would.
 * Only for routes without a guard: with the rate limit on, every request goes through Nest's guard.
 * `cached-lists-first.e2e-spec.ts` proves the answers and statements equal those of an app without
 * the hook. Call before the routes are registered (`app.init()`).
 */
export function answerCachedListsFirst(
  fastify: FastifyInstance,
  reader: ResourceReader,
  routes: readonly CachedListRoute[],
): void {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  fastify.addHook('onRoute', (options: RouteOptions) => {
    const route = options.method === 'GET' ? byPath.get(options.url) : undefined;
    if (route === undefined) return;
    const previous = options.preHandler;
    const hook = earlyHit(reader, route);
    options.preHandler =
      previous === undefined ? hook : [...(Array.isArray(previous) ? previous : [previous]), hook];
  });
}

function earlyHit(
  reader: ResourceReader,
  route: CachedListRoute,
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const queries = parsedQueriesOf(route.resource.schema, 'index');
  return async (request, reply) => {
    // A HEAD request shares the GET route's hooks; it goes the plain way.
    if (request.method !== 'GET') return undefined;
    let query: ParsedQuery;
    try {
      query = queries.parse(rawQueryOf(request));
    } catch {
      return undefined;
    }
    const context = requestReadContext(request, route.baseUrl(request));
    // A failed version read is answered as the controller's would be (Nest's exception layer is
    // Fastify's error handler), not read again by it: a timeout would have taken twice as long.
    const result = await reader.readCachedPage(route.resource, query, context);
    if (result === undefined) return undefined;
    return reply.send(conditionalAnswer(reply, result));
  };
}
