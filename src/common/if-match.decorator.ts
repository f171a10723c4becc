import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The request's `If-Match` header (undefined when absent), for a write that holds it against the
 * ETag of what it changes (API.md section 10).
 */
export const IfMatch = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];
    return Array.isArray(header) ? header.join(', ') : header;
  },
);
