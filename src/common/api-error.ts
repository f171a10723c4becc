import { HttpException, HttpStatus } from '@nestjs/common';
import type { ApiErrorBody } from '@image-api/client';

/** The one error body of the contract (API.md section 7), as the client package declares it. */
export type ErrorBody = ApiErrorBody;

/** The message each status answers with when the code that threw did not choose one. */
export const DEFAULT_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad Request.',
  401: 'Unauthenticated.',
  403: 'This action is unauthorized.',
  404: 'Not Found.',
  405: 'Method Not Allowed.',
  406: 'Not Acceptable.',
  408: 'Request Timeout.',
  409: 'Conflict.',
  412: 'Precondition Failed.',
  413: 'The request body is larger than 1 MB.',
  414: 'URI Too Long.',
  415: 'Unsupported Media Type: send the body as application/json.',
  416: 'Range Not Satisfiable.',
  417: 'Expectation Failed.',
  422: 'The given data was invalid.',
  429: 'Too Many Attempts.',
  431: 'Request Header Fields Too Large.',
  500: 'Server Error.',
  503: 'Service Unavailable.',
};

export function defaultMessage(status: number): string {
  return DEFAULT_ERROR_MESSAGES[status] ?? (status >= 500 ? 'Server Error.' : 'Bad Request.');
}

/**
 * An error that already carries the contract's body. Every domain error of the service is one of
 * these, so the exception filter never has to guess a message.
 */
export class ApiError extends HttpException {
  constructor(status: number, message: string, errors?: Record<string, string[]>) {
    super(errors === undefined ? { message } : { message, errors }, status);
  }
}

/** 422 with `errors` keyed by parameter or field; the message is the first error. */
export class ValidationFailedError extends ApiError {
  constructor(readonly fieldErrors: Record<string, string[]>) {
    const first = Object.values(fieldErrors).find((messages) => messages.length > 0)?.[0];
    super(HttpStatus.UNPROCESSABLE_ENTITY, first ?? defaultMessage(422), fieldErrors);
  }

  static of(key: string, message: string): ValidationFailedError {
    return new ValidationFailedError({ [key]: [message] });
  }
}

export class NotFoundError extends ApiError {
  constructor(message = defaultMessage(404)) {
    super(HttpStatus.NOT_FOUND, message);
  }
}

/**
 * 409: the write met a state that forbids it (a link that exists), perhaps one a concurrent write
 * just committed; a retry with the same `Idempotency-Key` as that write gets its answer instead.
 */
export class ConflictError extends ApiError {
  constructor(message: string) {
    super(HttpStatus.CONFLICT, message);
  }
}
