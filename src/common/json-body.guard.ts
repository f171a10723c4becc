import { CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError, defaultMessage } from './api-error';

/**
 * 415 for a multipart body on a route that takes JSON only: `@fastify/multipart` accepts
 * `multipart/form-data` on every route (it reads nothing until a handler asks), and a JSON route
 * would otherwise see it as an empty body.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.isMultipart?.() === true) throw new ApiError(415, defaultMessage(415));
    return true;
  }
}

/** The route's body must be JSON (or none); multipart is a 415. */
export const JsonBodyOnly = (): MethodDecorator => UseGuards(JsonBodyGuard);
