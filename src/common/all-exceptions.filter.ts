import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpLayerException, toErrorResponse } from './error-response';

/** Whether the client is gone: its connection closed before the answer could be written. */
function clientGone(request: FastifyRequest, reply: FastifyReply): boolean {
  return request.raw.destroyed || reply.raw.destroyed || request.raw.socket?.destroyed === true;
}

/** The error a request's body stream raises when its client hangs up halfway (`aborted`). */
function isClientAbort(exception: unknown): boolean {
  const error = exception as { code?: unknown; message?: unknown } | null;
  return (
    typeof error === 'object' &&
    error !== null &&
    (error.message === 'aborted' ||
      error.code === 'ECONNABORTED' ||
      error.code === 'ERR_STREAM_PREMATURE_CLOSE')
  );
}

/** The single place that writes HTTP error bodies (API.md section 7). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (clientGone(request, reply) && isClientAbort(exception)) {
      // An upload its client gave up on: nobody to answer, nothing wrong with the service. The
      // watch on its answer (app.setup.ts) has logged the hang-up at info.
      return;
    }
    const response = toErrorResponse(httpLayerException(exception));
    if (response.logAsError) {
      // With the request's id, which the access line of the same request carries too.
      this.logger.error({ err: exception, req: { id: request.id } });
    }
    if (reply.sent) return;
    void reply.status(response.status).headers(response.headers).send(response.body);
  }
}
