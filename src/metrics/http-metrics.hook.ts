import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MetricsService } from './metrics.service';

/** The route label of requests no route took (404s of unknown paths), so paths never become labels. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A Fastify `onResponse` hook counting each request and its latency by method, route pattern
 * (`/api/image/:id`, never the URL itself) and status.
 */
export function httpMetricsHook(
  metrics: MetricsService,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    const labels = { method: request.method, route, status: reply.statusCode };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  };
}
