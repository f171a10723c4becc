import { HttpException } from '@nestjs/common';
import { ApiError } from './api-error';
import { toErrorResponse } from './error-response';

describe('toErrorResponse', () => {
  it('should keep an ApiError status and body, with WWW-Authenticate on a 401', () => {
    expect(toErrorResponse(new ApiError(401, 'Unauthenticated.'))).toEqual({
      status: 401,
      body: { message: 'Unauthenticated.' },
      headers: { 'WWW-Authenticate': 'Bearer' },
      logAsError: false,
    });
  });

  it('should answer a framework HttpException with its status and the default message only', () => {
    expect(toErrorResponse(new HttpException('internal wording', 404))).toEqual({
      status: 404,
      body: { message: 'Not Found.' },
      headers: {},
      logAsError: false,
    });
  });

  it.each([
    'ER_LOCK_DEADLOCK',
    'ER_LOCK_WAIT_TIMEOUT',
    'ER_STATEMENT_TIMEOUT',
    'ECONNREFUSED',
    'DB_CONNECT_TIMEOUT',
    'SQLITE_BUSY',
  ])('should answer a database error %s with 503, also wrapped as TypeORM does', (code) => {
    const expected = {
      status: 503,
      body: { message: 'Service Unavailable.' },
      headers: {},
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
      headers: {},
      logAsError: true,
    });
  });
});
