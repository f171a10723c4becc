import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import type { MessageErrorReply } from '@image-api/client';
import { Observable, throwError } from 'rxjs';
import { toErrorResponse } from '../common/error-response';

/** The error reply of anything a message handler threw: the HTTP status and error body. */
export function toMessageErrorReply(exception: unknown): MessageErrorReply {
  const { status, body } = toErrorResponse(exception);
  return { status, ...body };
}

/**
 * The one place that writes error replies of the message patterns: the same status, `message` and
 * `errors` as HTTP (through `toErrorResponse`), sent back as the reply's error, so a caller never
 * waits for a timeout and never sees internal text.
 */
@Catch()
export class RpcExceptionsFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('MessageExceptions');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const reply = toMessageErrorReply(exception);
    if (reply.status >= 500) this.logger.error(exception);
    return throwError(() => reply);
  }
}
