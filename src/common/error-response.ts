import { HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, defaultMessage, ErrorBody } from './api-error';
import { UNCACHEABLE_CACHE_CONTROL } from './conditional-reply';

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Whether the detail belongs in the error log (server faults only). */
  logAsError: boolean;
}

/** Error codes meaning the database cannot be reached, rather than that a query was wrong. */
const DATABASE_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  // A write that still deadlocked after its retries (unit-of-work.ts): contention, worth a retry.
  'ER_LOCK_DEADLOCK',
  // DB_STATEMENT_TIMEOUT_MS and DB_CONNECT_TIMEOUT_MS (database-timeouts.ts).
  'ER_STATEMENT_TIMEOUT',
  'ER_QUERY_TIMEOUT',
  'DB_CONNECT_TIMEOUT',
  // An operator stopped the statement (`KILL QUERY`) or its connection (MariaDB's `KILL`).
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  // The server turned read-only under a write (a failover in progress).
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  // The disk is full: the write was rolled back, and works again once there is room.
  'SQLITE_FULL',
  // An insert's generated id is past 2^53 - 1 (unit-of-work.ts): rolled back, the table is full.
  'ID_OUT_OF_RANGE',
]);

interface CodedError {
  code?: unknown;
  driverError?: unknown;
  message?: unknown;
}

function errorCode(exception: unknown): string | undefined {
  const error = exception as CodedError | null;
  if (error === null || typeof error !== 'object') return undefined;
  if (typeof error.code === 'string') return error.code;
  return errorCode(error.driverError);
}

function isDatabaseUnavailable(exception: unknown): boolean {
  const code = errorCode(exception);
  if (code !== undefined && DATABASE_UNAVAILABLE_CODES.has(code)) return true;
  // The S3 store's connect or idle limit (s3.storage-driver.ts): a store out of reach.
  if ((exception as { name?: unknown } | null)?.name === 'TimeoutError') return true;
  const message = (exception as CodedError | null)?.message;
  return (
    typeof message === 'string' &&
    /Pool is closed|Connection lost|connect ECONNREFUSED|Can't add new command when connection is in closed state|Driver not Connected/i.test(
      message,
    )
  );
}

/**
 * Maps anything thrown while handling a request to the contract's status, body and headers.
 * Only `ApiError`s choose their own message; every other error answers with its status's message,
 * so nothing internal (framework wording, SQL, stack) ever reaches a client.
 */
export function toErrorResponse(exception: unknown): ErrorResponse {
  let status = 500;
  let body: ErrorBody | undefined;

  if (exception instanceof ApiError) {
    status = exception.getStatus();
    body = exception.getResponse() as ErrorBody;
  } else if (exception instanceof HttpException) {
    status = exception.getStatus();
  } else if (isDatabaseUnavailable(exception)) {
    status = 503;
  }

  // Kept by no cache: a 404 without it may be stored heuristically (RFC 9111 §4.2.2), and then a
  // shared cache answered 404 for an image created since (found by a probe).
  const headers: Record<string, string> = { 'Cache-Control': UNCACHEABLE_CACHE_CONTROL };
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
  return {
    status,
    body: body ?? { message: defaultMessage(status) },
    headers,
    logAsError: status >= 500,
  };
}

/**
 * Fastify and its plugins refuse requests with errors of their own that carry a 4xx `statusCode`
 * (a body parser's 415, and @fastify/static, which serves Swagger UI's files under `/docs/`: 403
 * for a path it will not resolve such as `/docs/..`, 416 for a range past the file, 400 for a NUL):
 * the client's doing, answered with that status and its default message, a refused path as the
 * 404 of any missing file. Anything else keeps its way to a 500.
 */
export function httpLayerException(error: unknown): unknown {
  if (error instanceof HttpException) return error;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return error;
  return new HttpException('', status === 403 ? 404 : status);
}

const exceptionsLogger = new Logger('Exceptions');

/**
 * A Fastify route error handler in the contract's shape, for the one route Nest does not own (the
 * CORS preflight, `OPTIONS *`): its body's refusals (415, 413, 400) answer as on every other route.
 */
export function answerFastifyError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const response = toErrorResponse(httpLayerException(error));
  if (response.logAsError) {
    // As AllExceptionsFilter logs the routes Nest owns.
    exceptionsLogger.error({ err: error, req: { id: request.id } });
  }
  void reply.status(response.status).headers(response.headers).send(response.body);
}
