import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';

/** The single place that writes HTTP error bodies (API.md section 7). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const response = toErrorResponse(exception);
    if (response.logAsError) {
      // With the request's id, which the access line of the same request carries too.
      const request = host.switchToHttp().getRequest<FastifyRequest>();
      this.logger.error({ err: exception, req: { id: request.id } });
    }
    if (reply.sent) return;
    void reply.status(response.status).headers(response.headers).send(response.body);
  }
}
