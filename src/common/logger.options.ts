import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger, type Level } from 'pino';
import pinoPretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config';
import type { LogFormat } from '../config/server-config';
import { refusedByDrain } from './pipelining';

/**
 * Structured logs (pino) on stdout, JSON lines, or pretty-printed (pino-pretty) on a terminal
 * (`LOG_FORMAT`): Nest's own log lines through nestjs-pino, and one access
 * line per request, `request completed` with `req` (`id` = the Request-Id, method, url),
 * `res.statusCode` and `responseTime` (ms), at `info` (`warn` for 4xx, `error` for 5xx).
 *
 * The access line is written by a Fastify hook with the one pino logger, not by pino-http as a
 * Nest middleware: that middleware (through @fastify/middie, a child logger per request and an
 * AsyncLocalStorage context that turns on promise hooks for every await) cost a list request about
 * a tenth of its CPU (docs/PERFORMANCE.md). Lines logged while handling a request do not carry its
 * id by themselves; the exception filter adds it to the errors it logs.
 */

const loggers = new WeakMap<AppConfig, Logger>();

/** Whether log lines are pretty-printed: `LOG_FORMAT=pretty`, or `auto` with stdout a terminal. */
export function prettyLogs(format: LogFormat, stdoutIsTerminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTerminal);
}

function logDestination(config: AppConfig): DestinationStream {
  // A synchronous stdout: pino's default writes each line through the libuv thread pool, and
  // that hand-off (a thread wake-up per line) cost a loaded request more than all of its logging.
  if (!prettyLogs(config.server.logFormat, process.stdout.isTTY === true)) {
    return pino.destination({ dest: 1, sync: true });
  }
  // For a person at a terminal: the same entries, one readable line each (the JSON lines are
  // parsed back by pino-pretty, access lines written in batches included).
  return pinoPretty({ ...PRETTY_LOG_OPTIONS, destination: 1, sync: true });
}

/**
 * How pino-pretty writes an entry for a person: one line, its fields (`req`, `res`, `err`) after
 * the message in braces (without `singleLine`, an access line took nine; found by a probe).
 */
export const PRETTY_LOG_OPTIONS = {
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  singleLine: true,
} as const;

/** The one pino logger of an app (made once per configuration). */
export function appLogger(config: AppConfig): Logger {
  let logger = loggers.get(config);
  if (logger === undefined) {
    // No `redact`: no line carries request headers (tokens, cookies), and redaction cost every line.
    logger = pino({ level: config.logLevel }, logDestination(config));
    loggers.set(config, logger);
  }
  return logger;
}

/** nestjs-pino for Nest's logger only: its per-request middleware is registered for no route. */
export function buildLoggerOptions(config: AppConfig): Params {
  return { pinoHttp: { logger: appLogger(config) }, forRoutes: [] };
}

/** The level of a request's access line. */
export function accessLogLevel(statusCode: number): Level {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

interface LineStream {
  write(line: string): unknown;
}

/** How long an access line may wait to be written with the lines that follow it. */
export const ACCESS_LINE_DELAY_MS = 10;
/** Waiting lines beyond this many characters are written at once. */
export const ACCESS_LINES_MAX_WAITING = 64 * 1024;

/**
 * Access lines written together, with one `write` (a system call each): a line waits at most
 * `ACCESS_LINE_DELAY_MS` for the lines that follow it, and no longer once `ACCESS_LINES_MAX_WAITING`
 * characters wait; on `process.exit` (a shutdown, a failed start) what waits is written before the
 * process goes. Flushed once per event-loop turn, a line cost a `write` of its own whenever its
 * request had the turn to itself, as it does at any moderate load (docs/PERFORMANCE.md).
 */
class LineBuffer {
  private pending = '';
  private timer?: NodeJS.Timeout;
  private static readonly waiting = new Set<LineBuffer>();

  constructor(private readonly stream: LineStream) {}

  add(line: string): void {
    if (this.pending === '') {
      LineBuffer.waiting.add(this);
      // unref: waiting lines never keep the process alive; the exit handler writes them.
      this.timer = setTimeout(() => this.flush(), ACCESS_LINE_DELAY_MS).unref();
    }
    this.pending += line;
    if (this.pending.length >= ACCESS_LINES_MAX_WAITING) this.flush();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    LineBuffer.waiting.delete(this);
    try {
      this.stream.write(lines);
    } catch {
      // stdout failed (pino already turns EPIPE into a no-op): the lines have nowhere to go, and
      // an exception here, outside any request, would take the process down.
    }
  }

  /** Writes every buffer's waiting lines now (the destination is synchronous). */
  static flushAll(): void {
    for (const buffer of [...LineBuffer.waiting]) buffer.flush();
  }
}

process.on('exit', () => LineBuffer.flushAll());

/**
 * A Fastify `onResponse` hook writing the access line of each request. The line is the one
 * `logger[level]({ req, res, responseTime }, 'request completed')` writes, byte for byte (a test
 * holds the two side by side), put together here and handed to the logger's own destination a few
 * lines at a time (`LineBuffer`): pino's general serialiser walked the nested objects key by key,
 * and one write per line was a system call per request (docs/PERFORMANCE.md).
 */
export function accessLogHook(
  logger: Logger,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const buffer = new LineBuffer(
    (logger as unknown as Record<symbol, LineStream>)[pino.symbols.streamSym],
  );
  // `,"pid":…,"hostname":"…"`: the logger's bindings as pino has already serialised them.
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym];
  const levelNumbers = logger.levels.values;
  return (request, reply, done) => {
    const statusCode = reply.statusCode;
    // The 503 of a request that came during a shutdown is part of a deployment, not a fault.
    const level =
      statusCode === 503 && refusedByDrain(request) ? 'info' : accessLogLevel(statusCode);
    if (logger.isLevelEnabled(level)) {
      buffer.add(
        `{"level":${levelNumbers[level]},"time":${Date.now()}${bindings}` +
          `,"req":{"id":${JSON.stringify(request.id)},"method":${JSON.stringify(request.method)}` +
          `,"url":${JSON.stringify(request.url)}},"res":{"statusCode":${statusCode}}` +
          `,"responseTime":${Math.round(reply.elapsedTime)},"msg":"request completed"}\n`,
      );
    }
    done();
  };
}

/** Writes the access lines still waiting, now. */
export function flushAccessLines(): void {
  LineBuffer.flushAll();
}
