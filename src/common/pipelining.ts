import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Logger } from 'pino';
import { defaultMessage, type ErrorBody } from './api-error';
import { UNCACHEABLE_CACHE_CONTROL } from './conditional-reply';

/**
 * The most requests one connection may have waiting for their answers (HTTP/1.1 pipelining).
 * Node parses every request a client has sent before the first is answered, and keeps each answer
 * until the ones before it are written. Without a limit, a client that sent thousands of requests
 * and read none made the process keep thousands of answers, until it ran out of memory.
 */
export const MAX_PENDING_REQUESTS = 16;

interface Connection {
  /** Requests taken whose answers are not written yet (the one running and those queued). */
  pending: number;
  /** The answer of the request running now. */
  running?: ServerResponse;
  /** Pipelined requests waiting for the ones before them to be answered, in order. */
  queued: {
    readonly request: IncomingMessage;
    readonly response: ServerResponse;
    readonly run: HookHandlerDoneFunction;
  }[];
  /** The connection got its 429 and closes after it: later requests are neither run nor answered. */
  refused: boolean;
  /** An answer closed the connection, or the client hung up: later requests are not run. */
  closed: boolean;
  /** Runs once no answer is pending (the parser's refusal of a later request waits its turn). */
  whenIdle?: () => void;
}

const connections = new WeakMap<Socket, Connection>();

interface Drain {
  /** Set by `beginDrain`: the server is shutting down. */
  draining: boolean;
  /** The connections owed an answer: told to close after it when a drain begins. */
  readonly busy: Set<Connection>;
}

const drains = new WeakMap<Server, Drain>();

/**
 * The shutdown has begun (graceful-shutdown.ts): every answer still owed closes its connection
 * (`Connection: close`), so no client sends another request on a connection about to close, and
 * a request that still arrives on one is answered 503 in the contract's shape.
 */
export function beginDrain(server: Server): void {
  const drain = drains.get(server);
  if (drain === undefined) return;
  drain.draining = true;
  for (const { running } of drain.busy) {
    if (running !== undefined && !running.headersSent) running.shouldKeepAlive = false;
  }
}

function connectionOf(socket: Socket): Connection {
  let connection = connections.get(socket);
  if (connection === undefined) {
    connection = { pending: 0, queued: [], refused: false, closed: false };
    connections.set(socket, connection);
  }
  return connection;
}

function answered(connection: Connection, drain: Drain, socket: Socket): void {
  connection.pending -= 1;
  if (socket.destroyed || socket.writableEnded) {
    // The answer closed the connection (`Connection: close`: a body the parser refused, the
    // drain) or the client hung up: the requests pipelined after it are neither run nor answered
    // (RFC 9112 §9.6). Run, a write committed that no client would ever hear of (found by a probe).
    connection.closed = true;
    connection.pending -= connection.queued.length;
    for (const { request } of connection.queued.splice(0)) notRun.add(request);
  }
  const next = connection.queued.shift();
  if (next === undefined) {
    connection.running = undefined;
    if (connection.pending === 0) drain.busy.delete(connection);
  } else {
    connection.running = next.response;
    // Draining: it closes the connection after its answer.
    if (drain.draining) next.response.shouldKeepAlive = false;
    next.run();
  }
  const whenIdle = connection.whenIdle;
  if (connection.pending === 0 && whenIdle !== undefined) {
    connection.whenIdle = undefined;
    whenIdle();
  }
}

/**
 * An `onRequest` hook: counts the answers each connection is owed, and runs a connection's
 * pipelined requests one after the other. Node hands them all over at once and only writes the
 * answers in order: run together, a `PATCH` then a `GET` answered the old row, and two writes
 * could land in the other order than their answers said. The request over the limit is answered
 * 429 with `Connection: close` after the ones before it, and nothing after it is run.
 */
export function pipeliningLimitHook(
  server: Server,
  logger: Logger,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const drain: Drain = { draining: false, busy: new Set() };
  drains.set(server, drain);
  return function pipeliningLimit(request, reply, done) {
    if (drain.draining) {
      // Fastify's own 503 for this (`return503OnClosing`) had neither the contract's body nor
      // a Request-Id, nor a log line (found by a probe).
      drainRefusals.add(request);
      void reply
        .code(503)
        .headers({ connection: 'close', 'cache-control': UNCACHEABLE_CACHE_CONTROL })
        .send({ message: defaultMessage(503) } satisfies ErrorBody);
      return;
    }
    const socket = request.raw.socket;
    const connection = connectionOf(socket);
    if (connection.closed) {
      notRun.add(request.raw);
      reply.hijack();
      return;
    }
    if (connection.refused) {
      // The connection closes after its 429; Node drops what it parsed after that.
      reply.hijack();
      return;
    }
    if (connection.pending >= MAX_PENDING_REQUESTS) {
      connection.refused = true;
      logger.warn(
        { req: { id: request.id, method: request.method, url: request.url } },
        `request refused: ${MAX_PENDING_REQUESTS} requests on its connection were still waiting for their answers; the connection closes`,
      );
      void reply
        .code(429)
        .headers({
          Connection: 'close',
          'Retry-After': '1',
          'Cache-Control': UNCACHEABLE_CACHE_CONTROL,
        })
        .send({ message: defaultMessage(429) } satisfies ErrorBody);
      return;
    }
    connection.pending += 1;
    const response = reply.raw;
    response.once('close', () => answered(connection, drain, socket));
    if (connection.pending === 1) {
      drain.busy.add(connection);
      connection.running = response;
      done();
    } else connection.queued.push({ request: request.raw, response, run: done });
  };
}

/**
 * Runs `answer` once every answer the connection is owed has been written; false (and nothing
 * run) when none is owed, so the caller answers at once. A second call while one waits is ignored,
 * and so is any call once the connection got its 429.
 */
export function afterPendingAnswers(socket: Socket, answer: () => void): boolean {
  const connection = connections.get(socket);
  if (connection === undefined) return false;
  // After its 429 the connection closes: nothing is answered after that.
  if (connection.refused) return true;
  if (connection.pending === 0) return false;
  connection.whenIdle ??= answer;
  return true;
}

const drainRefusals = new WeakSet<FastifyRequest>();

/** Whether the request was answered 503 because the shutdown had begun: expected, no error. */
export function refusedByDrain(request: FastifyRequest): boolean {
  return drainRefusals.has(request);
}

/** Requests pipelined after an answer that closed their connection, never run. */
const notRun = new WeakSet<IncomingMessage>();

/**
 * Whether the request came after its connection's 429, or after an answer that closed it (it was
 * never run): its hang-up is no news.
 */
export function cameAfterRefusal(request: FastifyRequest): boolean {
  return connections.get(request.raw.socket)?.refused === true || notRun.has(request.raw);
}
