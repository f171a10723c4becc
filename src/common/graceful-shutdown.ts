import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { beginDrain } from './pipelining';

/** How long after the drain window the process exits whatever is still running. */
export const SHUTDOWN_GRACE_MS = 750;

/** Servers whose drain window is over: the connections left were closed by the service. */
const closedAfterDrain = new WeakSet<object>();

/** Whether the shutdown closed the connections still open (the request's end is not its client's). */
export function drainWindowOver(server: object): boolean {
  return closedAfterDrain.has(server);
}

/**
 * SIGTERM and SIGINT (API.md section 10): stop accepting connections (the answers in flight say
 * `Connection: close`; a request arriving on a kept-alive one is answered 503 with it), let
 * in-flight requests finish for at most `timeoutMs`, then close every connection still open (a
 * stalled upload, a slow client), run
 * the application's shutdown hooks (the outbox relay stops, the database pool closes after the
 * last request is done with it) and exit 0, also when a hook fails (it is logged). Should anything hang past the window, the process
 * exits `SHUTDOWN_GRACE_MS` later regardless.
 *
 * Nest's own `enableShutdownHooks` runs the module hooks first and closes the HTTP server after
 * them, without a time limit, so the server kept accepting while the hooks ran and one stalled
 * upload held the process for as long as its client wanted.
 */
export function handleShutdownSignals(
  app: NestFastifyApplication,
  timeoutMs: number,
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs }, 'shutting down: draining in-flight requests');
    const fastify = app.getHttpAdapter().getInstance();
    const server = fastify.server;
    beginDrain(server);
    // A kept-alive connection whose request was in flight becomes idle once answered: close it
    // then, or one pooling client holds the process for the whole window (found by a probe).
    const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
    const forceClose = setTimeout(() => {
      logger.info('shutdown: the drain window is over, closing the connections left');
      clearInterval(closeIdle);
      closedAfterDrain.add(server);
      server.closeAllConnections();
    }, timeoutMs);
    const backstop = setTimeout(() => {
      logger.warn('shutdown: still not done, exiting anyway');
      exit(0);
    }, timeoutMs + SHUTDOWN_GRACE_MS);
    backstop.unref();
    fastify
      .close()
      .then(() => {
        clearTimeout(forceClose);
        clearInterval(closeIdle);
        return app.close();
      })
      .then(
        () => {
          logger.info('shutdown complete');
          exit(0);
        },
        (error: unknown) => {
          // The stop was asked for: exit 0 all the same, so no restart policy takes it for a crash.
          logger.error({ err: error }, 'shutdown: a shutdown hook failed');
          exit(0);
        },
      );
  };
  // A second signal while stopping changes nothing.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
