import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { conditionalAnswer } from '../../common/conditional-reply';
import type { ConditionalResult } from '../../common/entity-tag';
import { parsedQueriesOf, rawQueryOf } from '../query.decorator';
import type { ParsedQuery } from '../query.types';
import { type ReadableResource, type ResourceKey, requestReadContext } from './readable-resource';
import type { ResourceReader } from './resource-reader';

/** A read route answered before the framework's handler. */
export interface ReadFirstRoute {
  /** The route's path as registered (`/api/image`, `/api/image/:id`). */
  readonly path: string;
  readonly resource: ReadableResource;
  /** The request's `ReadContext.baseUrl`, as the route's controller makes it. */
  readonly baseUrl: (request: FastifyRequest) => string;
  /**
   * A show route's key from the path's parameters, or undefined when they name none (the
   * controller then answers its 404); a list route has none.
   */
  readonly key?: (params: Readonly<Record<string, string>>) => ResourceKey | undefined;
}

/**
 * A measured shortcut (docs/PERFORMANCE.md, "Reads before Nest"): a list or show request whose
 * query parses (and, for a show, whose path names a key) is answered by a route-level Fastify
 * `preHandler`, from the same parse (`parsedQueriesOf`), the same reader call and the same
 * `conditionalReply` (its `conditionalAnswer`) as the controller, without Nest's handler pipeline.
 * Anything else (a query that does not parse, an id that names nothing, HEAD) goes on to the
 * controller, without a statement, as if the hook were not there. A failed read goes to Nest's
 * exception layer (Fastify's error handler), as the controller's would. Only for routes without a
 * guard: with the rate limit on, every request goes through Nest's guard.
 * `reads-first.e2e-spec.ts` proves the answers and statements equal those of an app without the
 * hook. Call before the routes are registered (`app.init()`).
 */
export function answerReadsFirst(
  fastify: FastifyInstance,
  reader: ResourceReader,
  routes: readonly ReadFirstRoute[],
): void {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  fastify.addHook('onRoute', (options: RouteOptions) => {
    const route = options.method === 'GET' ? byPath.get(options.url) : undefined;
    if (route === undefined) return;
    const previous = options.preHandler;
    const hook = readFirst(reader, route);
    options.preHandler =
      previous === undefined ? hook : [...(Array.isArray(previous) ? previous : [previous]), hook];
  });
}

function readFirst(
  reader: ResourceReader,
  route: ReadFirstRoute,
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const { resource, key: keyOf } = route;
  const queries = parsedQueriesOf(resource.schema, keyOf === undefined ? 'index' : 'show');
  return async (request, reply) => {
    // A HEAD request shares the GET route's hooks; it goes the plain way.
    if (request.method !== 'GET') return undefined;
    let query: ParsedQuery;
    try {
      query = queries.parse(rawQueryOf(request));
    } catch {
      return undefined;
    }
    const key = keyOf?.(request.params as Record<string, string>);
    if (keyOf !== undefined && key === undefined) return undefined;
    const context = requestReadContext(request, route.baseUrl(request));
    const result: ConditionalResult<unknown> =
      key === undefined
        ? await reader.readPage(resource, query, context)
        : await reader.readOne(resource, key, query, context);
    return reply.send(conditionalAnswer(reply, result));
  };
}
