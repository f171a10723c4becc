import { HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { answerFastifyError, toErrorResponse } from './error-response';

describe('toErrorResponse', () => {
  it('should keep an ApiError status and body, with WWW-Authenticate on a 401', () => {
    expect(toErrorResponse(new ApiError(401, 'Unauthenticated.'))).toEqual({
      status: 401,
      body: { message: 'Unauthenticated.' },
      headers: { 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer' },
      logAsError: false,
    });
  });

  it('should answer a framework HttpException with its status and the default message only', () => {
    expect(toErrorResponse(new HttpException('internal wording', 404))).toEqual({
      status: 404,
      body: { message: 'Not Found.' },
      headers: { 'Cache-Control': 'no-store' },
      logAsError: false,
    });
  });

  it.each([
    'ER_LOCK_DEADLOCK',
    'ER_LOCK_WAIT_TIMEOUT',
    'ER_STATEMENT_TIMEOUT',
    'ECONNREFUSED',
    'DB_CONNECT_TIMEOUT',
    'ER_QUERY_INTERRUPTED',
    'ER_CONNECTION_KILLED',
    'ER_READ_ONLY_MODE',
    'SQLITE_BUSY',
  ])('should answer a database error %s with 503, also wrapped as TypeORM does', (code) => {
    const expected = {
      status: 503,
      body: { message: 'Service Unavailable.' },
      headers: { 'Cache-Control': 'no-store' },
      logAsError: true,
    };
    expect(toErrorResponse(Object.assign(new Error('sql text'), { code }))).toEqual(expected);
    expect(toErrorResponse({ message: 'wrapped', driverError: { code } })).toEqual(expected);
  });

  it('should answer anything else 500 without its message', () => {
    expect(
      toErrorResponse(
        Object.assign(new Error('ER_NO_SUCH_TABLE: SELECT * FROM x'), { code: 'ER_NO_SUCH_TABLE' }),
      ),
    ).toEqual({
      status: 500,
      body: { message: 'Server Error.' },
      headers: { 'Cache-Control': 'no-store' },
      logAsError: true,
    });
  });
});

describe('answerFastifyError', () => {
  function answer(error: unknown): { sent: unknown[]; logged: unknown[] } {
    const sent: unknown[] = [];
    const reply = {
      status: (status: number) => (sent.push(status), reply),
      headers: (headers: Record<string, string>) => (sent.push(headers), reply),
      send: (body: unknown) => (sent.push(body), reply),
    };
    const logged: unknown[] = [];
    const log = jest.spyOn(Logger.prototype, 'error').mockImplementation((entry: unknown) => {
      logged.push(entry);
    });
    try {
      answerFastifyError(
        error,
        { id: 'req-1' } as FastifyRequest,
        reply as unknown as FastifyReply,
      );
    } finally {
      log.mockRestore();
    }
    return { sent, logged };
  }

  it('should answer a Fastify client error with its status and the default message, unlogged', () => {
    const error = Object.assign(new Error('Unsupported Media Type: text/x'), { statusCode: 415 });
    expect(answer(error)).toEqual({
      sent: [
        415,
        { 'Cache-Control': 'no-store' },
        { message: 'Unsupported Media Type: send the body as application/json.' },
      ],
      logged: [],
    });
  });

  it('should answer anything else 500 and log it with the request id', () => {
    const error = new Error('internal detail');
    expect(answer(error)).toEqual({
      sent: [500, { 'Cache-Control': 'no-store' }, { message: 'Server Error.' }],
      logged: [{ err: error, req: { id: 'req-1' } }],
    });
  });
});
