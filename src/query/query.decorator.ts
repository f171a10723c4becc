import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { parseQuery } from './parse-query';
import type { QueryMode, RootResourceSchema } from './query.types';

interface ParsedQueryParamOptions {
  readonly schema: RootResourceSchema;
  readonly mode: QueryMode;
}

/** The parts of a Fastify (or Node) request the query is read from. */
export interface RequestWithQuery {
  readonly url?: string;
  readonly raw?: { readonly url?: string };
  readonly query?: unknown;
}

/**
 * The query of a request, as the raw query string when the URL is known: it keeps the exact order
 * the client wrote (filters fold left to right) and every repeated key. Falls back to the parsed
 * `request.query` object.
 */
export function rawQueryOf(request: RequestWithQuery): unknown {
  const url = request.raw?.url ?? request.url;
  if (typeof url !== 'string') return request.query;
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start + 1);
}

const parsedQueryParam = createParamDecorator(
  (options: ParsedQueryParamOptions, context: ExecutionContext) =>
    parseQuery(
      rawQueryOf(context.switchToHttp().getRequest<RequestWithQuery>()),
      options.schema,
      options.mode,
    ),
);

/**
 * Hands a handler the request's query parsed and validated against `schema` for the route `mode`
 * (`index` or `show`), as a typed ParsedQuery; a bad query is a 422 before the handler runs:
 * `list(@ParsedQueryParam(IMAGE_QUERY_SCHEMA, 'index') query: ParsedQuery)`.
 */
export const ParsedQueryParam = (schema: RootResourceSchema, mode: QueryMode): ParameterDecorator =>
  parsedQueryParam({ schema, mode });
