import type { HeaderObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { defaultMessage } from '../common/api-error';
import { schemaRef } from './resource-schemas';

export const ERROR_RESPONSE = 'ErrorResponse';
export const VALIDATION_ERROR_RESPONSE = 'ValidationErrorResponse';

/** The error statuses of the contract (API.md section 7). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 503;

/** `components.headers`: the headers responses carry. */
export const HEADERS = {
  requestId: 'Request-Id',
  location: 'Location',
  wwwAuthenticate: 'WWW-Authenticate',
  retryAfter: 'Retry-After',
  etag: 'ETag',
  cacheControl: 'Cache-Control',
  idempotentReplayed: 'Idempotent-Replayed',
  rateLimitLimit: 'X-RateLimit-Limit',
  rateLimitRemaining: 'X-RateLimit-Remaining',
  rateLimitReset: 'X-RateLimit-Reset',
} as const;

/** What a rate-limited route's answers carry (absent on every route with RATE_LIMIT_PER_MINUTE=0). */
export const RATE_LIMIT_HEADERS = [
  HEADERS.rateLimitLimit,
  HEADERS.rateLimitRemaining,
  HEADERS.rateLimitReset,
] as const;

export function headerRef(name: string): ReferenceObject {
  return { $ref: `#/components/headers/${name}` };
}

export const HEADER_COMPONENTS: Record<string, HeaderObject> = {
  [HEADERS.requestId]: {
    required: true,
    description: "The request's id: the caller's `X-Request-Id` when it sent one, else a new one.",
    schema: { type: 'string' },
  },
  [HEADERS.location]: {
    required: true,
    description: 'The URL of the created resource (an image, or a link of a pivot).',
    schema: { type: 'string' },
  },
  [HEADERS.wwwAuthenticate]: {
    required: true,
    description: 'Always `Bearer`.',
    schema: { type: 'string', enum: ['Bearer'] },
  },
  [HEADERS.etag]: {
    description:
      'Strong entity tag of this representation; send it back in `If-None-Match` to get a 304 while it still holds. Absent with `sort=random`.',
    schema: { type: 'string' },
  },
  [HEADERS.cacheControl]: {
    required: true,
    description:
      '`public, max-age=0, must-revalidate` (caches may keep the answer but revalidate it), or `no-store` with `sort=random` and on every error answer.',
    schema: { type: 'string' },
  },
  [HEADERS.idempotentReplayed]: {
    description:
      '`true` when this is the first answer to the same `Idempotency-Key`, given again (nothing was created); absent otherwise.',
    schema: { type: 'string', enum: ['true'] },
  },
  [HEADERS.retryAfter]: {
    required: true,
    description: 'Seconds until the oldest counted request leaves the one-minute window.',
    schema: { type: 'integer', minimum: 0 },
  },
  [HEADERS.rateLimitLimit]: {
    description:
      'Requests this client (token `sub`, else IP) may make per minute, all rate-limited routes together (`RATE_LIMIT_PER_MINUTE`). Absent when rate limiting is off, and on the 400, 413 and 415 of a JSON body (refused before the limit counts it).',
    schema: { type: 'integer', minimum: 1 },
  },
  [HEADERS.rateLimitRemaining]: {
    description:
      'Requests this client has left in the current window. Absent when rate limiting is off, and on the 400, 413 and 415 of a JSON body (refused before the limit counts it).',
    schema: { type: 'integer', minimum: 0 },
  },
  [HEADERS.rateLimitReset]: {
    description:
      'When the budget has room again, in epoch seconds. Absent when rate limiting is off, and on the 400, 413 and 415 of a JSON body (refused before the limit counts it).',
    schema: { type: 'integer', minimum: 0 },
  },
};

/** The one error body of the contract; 422 always carries `errors`. */
export function errorSchemas(): Record<string, SchemaObject> {
  const message: SchemaObject = {
    type: 'string',
    description: 'What went wrong; on 422 the first error.',
  };
  const errors: SchemaObject = {
    type: 'object',
    description:
      'Messages keyed by the query parameter (dotted: `page.size`, `filter.facet-ne`) or body field.',
    additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 },
  };
  return {
    [ERROR_RESPONSE]: {
      type: 'object',
      properties: { message, errors },
      required: ['message'],
      additionalProperties: false,
    },
    [VALIDATION_ERROR_RESPONSE]: {
      type: 'object',
      properties: { message, errors },
      required: ['message', 'errors'],
      additionalProperties: false,
    },
  };
}

const ERROR_DESCRIPTIONS: Readonly<Record<ErrorStatus, string>> = {
  400: 'The body is not valid JSON.',
  401: 'No bearer token, or a token that is invalid, expired or lacks `sub`.',
  403: 'The token lacks the permission this route needs.',
  404: 'No image has this id (a non-numeric id names none).',
  409: 'The request conflicts with the current state.',
  412: 'The `If-Match` tag is stale: the image (or other data it renders from) changed since it was read. Nothing was changed.',
  413: 'The body is larger than 1 MB.',
  415: 'The body is not `application/json`.',
  422: 'A query parameter or body field is invalid; `errors` names each one.',
  429: 'Too many requests from this client (token `sub`, else IP) in the last minute.',
  503: 'The database cannot be reached.',
};

/** Messages that are not the status's default one (API.md section 7). */
const EXAMPLE_MESSAGES: Partial<Record<ErrorStatus, string>> = {
  400: 'Malformed JSON body.',
  404: 'Image 42 not found.',
};

export interface ErrorResponseDocs {
  readonly status: ErrorStatus;
  readonly description: string;
  readonly headers: Record<string, ReferenceObject>;
  readonly content: {
    'application/json': { schema: ReferenceObject; example: Record<string, unknown> };
  };
}

/**
 * The response object of one error status, with the contract's body as its example (`example`
 * overrides it, e.g. a 422 the parsers really produce).
 */
export function errorResponse(
  status: ErrorStatus,
  example: Record<string, unknown> = {
    message: EXAMPLE_MESSAGES[status] ?? defaultMessage(status),
  },
  description: string = ERROR_DESCRIPTIONS[status],
  rateLimited = status === 429,
): ErrorResponseDocs {
  const headers: Record<string, ReferenceObject> = {
    [HEADERS.requestId]: headerRef(HEADERS.requestId),
    [HEADERS.cacheControl]: headerRef(HEADERS.cacheControl),
  };
  if (status === 401) headers[HEADERS.wwwAuthenticate] = headerRef(HEADERS.wwwAuthenticate);
  if (status === 429) headers[HEADERS.retryAfter] = headerRef(HEADERS.retryAfter);
  // Optional headers: a JSON body's 400, 413 and 415 come before the limit counts and lack them; a
  // form (multipart) is read after it, so its refusals carry them.
  if (rateLimited) {
    for (const header of RATE_LIMIT_HEADERS) headers[header] = headerRef(header);
  }
  return {
    status,
    description,
    headers,
    content: {
      'application/json': {
        schema: schemaRef(status === 422 ? VALIDATION_ERROR_RESPONSE : ERROR_RESPONSE),
        example,
      },
    },
  };
}

/**
 * Every operation's `default` response: what the HTTP layer answers before a route runs (a
 * malformed request or `Host`, a head over the size limit, a request too slow to arrive).
 */
export function httpLayerResponse(): Omit<ErrorResponseDocs, 'status'> {
  const { status: _status, ...response } = errorResponse(
    400,
    { message: 'Malformed HTTP request.' },
    'Refused before any route ran: 400 (a malformed request, `Host` or percent escape), 408 (too slow to arrive), 414 (the request line is too long), 431 (the request head is over 16 KiB).',
  );
  return response;
}
