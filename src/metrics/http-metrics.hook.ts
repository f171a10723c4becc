import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MetricsService } from './metrics.service';

/** The route label of requests no route took (404s of unknown paths), so paths never become labels. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A Fastify `onResponse` hook observing each request's latency by method, route pattern
 * (`/api/image/:id`, never the URL itself) and status; `http_requests_total` is read off its counts.
 */
export function httpMetricsHook(
  metrics: MetricsService,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    metrics.httpDuration.observe(
      { method: request.method, route, status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    done();
  };
}
