import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { defaultMessage, ErrorBody } from './api-error';
import { UNCACHEABLE_CACHE_CONTROL } from './conditional-reply';
import { afterPendingAnswers } from './pipelining';
import { requestIdFor } from './request-id';

/**
 * Errors the HTTP layer raises before a route runs (API.md section 10): a request Node's parser
 * refuses (malformed request line or headers, a head over the size limit, a request that took too
 * long) and the router's own errors (a malformed percent escape, a parameter over the length
 * limit). All answer in the contract's error shape with a `Request-Id`.
 */

/** Headers every answer of the HTTP layer carries, as helmet sets them on routed answers. */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

/** Where a request line ends at the latest to count as a head that is too large, not a URI. */
const LONGEST_REQUEST_LINE_BYTES = 8 * 1024;

const METHOD_TOKEN = /^[A-Z]{3,10} /;

/** The status of a request Node's parser refused, from its error. */
export function clientErrorStatus(error: { code?: string }, packet: Buffer | undefined): number {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return packet !== undefined && requestLineTooLong(packet) ? 414 : 431;
  }
  return 400;
}

/**
 * Whether the packet that overflowed the head starts a request line that does not end within
 * `LONGEST_REQUEST_LINE_BYTES`: then the URI is what is too long (414), not the headers (431).
 * Node hands over only the packet that overflowed, so a request line that trickled in over
 * several packets counts as headers.
 */
function requestLineTooLong(packet: Buffer): boolean {
  if (!METHOD_TOKEN.test(packet.subarray(0, 11).toString('latin1'))) return false;
  const end = packet.indexOf('\r\n');
  return end === -1 || end > LONGEST_REQUEST_LINE_BYTES;
}

function messageFor(status: number): string {
  return status === 400 ? 'Malformed HTTP request.' : defaultMessage(status);
}

/** The contract's error body for `status`, and the headers every answer of the HTTP layer carries. */
function errorAnswer(status: number, requestId: string) {
  const body = JSON.stringify({ message: messageFor(status) } satisfies ErrorBody);
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Request-Id': requestId,
    'Cache-Control': UNCACHEABLE_CACHE_CONTROL,
    ...SECURITY_HEADERS,
    Connection: 'close',
  };
  return { headers, body };
}

/** The whole raw answer: status line, headers and the contract's body; the connection closes. */
export function rawErrorResponse(status: number, requestId: string): string {
  const { headers, body } = errorAnswer(status, requestId);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`;
}

/** Writes `rawErrorResponse` and closes; a client that does not read it does not keep the socket. */
function endWithError(socket: Socket, status: number, requestId: string): void {
  socket.end(rawErrorResponse(status, requestId));
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Whether the socket's parser is inside a request that has not fully arrived. */
function midRequest(socket: Socket): boolean {
  const incoming = (socket as { parser?: { incoming?: { complete?: boolean } | null } }).parser
    ?.incoming;
  return incoming !== undefined && incoming !== null && incoming.complete !== true;
}

interface ParserError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/**
 * Fastify's `clientErrorHandler`: answers what Node's parser refused, then closes the connection,
 * after the answers still owed to requests pipelined before it (pipelining.ts). Nothing is written
 * when the client already left or an answer has started on the socket (a request that timed out
 * while its handler was answering). Logged at `info`: these are the
 * client's doing, and a stack trace would say nothing.
 */
export function clientErrorHandler(logger: Logger): (error: Error, socket: Socket) => void {
  return (error, socket) => {
    const parserError = error as ParserError;
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (parserError.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus(parserError, parserError.rawPacket);
    const requestId = randomUUID();
    const refuse = () => {
      logger.info(
        { req: { id: requestId }, res: { statusCode: status }, code: parserError.code },
        'request refused by the HTTP parser',
      );
      endWithError(socket, status, requestId);
    };
    // A malformed request after pipelined ones: their answers go first, then this refusal, and
    // nothing more is read. An error within a request still arriving (a 408, a body cut short)
    // concerns that request, which will never be answered: it goes at once.
    if (
      status !== 408 &&
      !midRequest(socket) &&
      afterPendingAnswers(socket, () => socket.destroyed || refuse())
    ) {
      socket.pause();
      return;
    }
    if (answering?.headersSent === true) {
      socket.destroy();
      return;
    }
    refuse();
  };
}

/**
 * The one line of a request the HTTP layer answers itself, which no access line (written after a
 * routed answer) covers: the client's doing, at `info`, with the `Request-Id` it was sent (these
 * went unlogged, so a client's id could not be found; found by a probe).
 */
function logRefused(
  logger: Logger,
  request: { method?: string; url?: string },
  requestId: string,
  status: number,
): void {
  logger.info(
    {
      req: { id: requestId, method: request.method, url: request.url },
      res: { statusCode: status },
    },
    'request refused by the HTTP layer',
  );
}

/**
 * Fastify's `frameworkErrors`: the router's errors before a route is chosen. A path parameter
 * over the length limit names nothing that exists (404); a malformed percent escape is a 400.
 */
export function frameworkErrorHandler(
  logger: Logger,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 404 : 400;
    const message = status === 400 ? 'Malformed URL.' : defaultMessage(status);
    logRefused(logger, request.raw, request.id, status);
    void reply
      .code(status)
      .headers({
        'Request-Id': request.id,
        'Cache-Control': UNCACHEABLE_CACHE_CONTROL,
        ...SECURITY_HEADERS,
      })
      .send({ message } satisfies ErrorBody);
  };
}

/**
 * The server's `checkExpectation` listener: an `Expect` other than `100-continue`, which this
 * service cannot meet (RFC 9110 section 10.1.1), is a 417 in the contract's shape.
 */
export function answerUnmetExpectation(
  logger: Logger,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    // The connection closes: the body the request announced is not read.
    const requestId = requestIdFor(request);
    logRefused(logger, request, requestId, 417);
    const { headers, body } = errorAnswer(417, requestId);
    response.writeHead(417, headers);
    response.end(body);
  };
}

/** The server's `connect` listener: this is no proxy, and a CONNECT target names nothing here. */
export function refuseConnect(logger: Logger): (request: IncomingMessage, socket: Socket) => void {
  return (request, socket) => {
    socket.on('error', () => socket.destroy());
    const requestId = requestIdFor(request);
    logRefused(logger, request, requestId, 404);
    endWithError(socket, 404, requestId);
  };
}
