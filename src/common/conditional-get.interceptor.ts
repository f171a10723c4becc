import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';
import { ConditionalResult } from './entity-tag';

/**
 * How public reads may be cached: stored by anyone, but revalidated (If-None-Match) before every
 * reuse, which the ETag makes cheap.
 */
export const PUBLIC_READ_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
/** A representation that is different every time (sort=random): never stored. */
export const UNCACHEABLE_CACHE_CONTROL = 'no-store';

/**
 * Turns the `ConditionalResult` of a read handler into HTTP: `ETag` and `Cache-Control` on every
 * answer, and `304 Not Modified` with no body when the client's tag still matches.
 */
@Injectable()
export class ConditionalGetInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof ConditionalResult)) return result;
        const reply = context.switchToHttp().getResponse<FastifyReply>();
        const conditional = result as ConditionalResult<unknown>;
        if (conditional.tag === null) {
          void reply.header('Cache-Control', UNCACHEABLE_CACHE_CONTROL);
          return conditional.body;
        }
        void reply.header('ETag', conditional.tag);
        void reply.header('Cache-Control', PUBLIC_READ_CACHE_CONTROL);
        if (!conditional.notModified) return conditional.body;
        void reply.status(304);
        return undefined;
      }),
    );
  }
}

/** Marks a read route whose handler returns a `ConditionalResult`. */
export const ConditionalGet = (): MethodDecorator & ClassDecorator =>
  UseInterceptors(ConditionalGetInterceptor);
