import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  type ExampleObject,
  type ReferenceObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { type QueryMode, type RootResourceSchema } from '../query';
import {
  errorResponse,
  HEADERS,
  headerRef,
  RATE_LIMIT_HEADERS,
  type ErrorStatus,
} from './error-responses';
import { queryParameters } from './query-parameters';
import { schemaRef } from './resource-schemas';

export interface OperationDocs {
  /** What a client generator names the method: `listImages`, `createImage`. */
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  /** Public routes say `security: []`; the others get the bearer scheme from `@RequirePermission`. */
  readonly public: boolean;
  /** The query parameters, generated from the resource's query schema for this route. */
  readonly query?: { readonly schema: RootResourceSchema; readonly mode: QueryMode };
  /** The `{id}` path parameter. */
  readonly idParameter?: { readonly name: string; readonly description: string };
  /** Other path parameters, in path order (`{anime}` and `{image}` of a pivot). */
  readonly pathParameters?: readonly {
    readonly name: string;
    readonly description: string;
    readonly schema: SchemaObject;
  }[];
  /** `required: false` where the route takes no body as well (an attach, a PATCH). */
  readonly body?: {
    readonly type: Type;
    readonly description: string;
    readonly required?: boolean;
  };
  readonly success: {
    readonly status: 200 | 201;
    readonly description: string;
    /** A `components.schemas` name. */
    readonly schema: string;
    readonly examples?: Record<string, ExampleObject>;
    /** Headers besides `Request-Id` (`Location`). */
    readonly headers?: readonly string[];
  };
  /**
   * A conditional read: `If-None-Match` in, `ETag` and `Cache-Control` out, and `304 Not Modified`
   * (no body) when the client's tag still matches.
   */
  readonly conditional?: boolean;
  /** A write that takes `Idempotency-Key` (API.md section 10). */
  readonly idempotent?: boolean;
  /** A write that takes `If-Match` (API.md section 10); add 412 to `errors`. */
  readonly ifMatch?: boolean;
  /** Every error status the route can answer, and examples that differ from the defaults. */
  readonly errors: readonly ErrorStatus[];
  readonly errorExamples?: Partial<Record<ErrorStatus, Record<string, unknown>>>;
  /** When a status means something more precise on this route than its generic description. */
  readonly errorDescriptions?: Partial<Record<ErrorStatus, string>>;
}

/** A response's `headers`: each named header as a reference to its component. */
function headerRefs(names: readonly string[]): Record<string, ReferenceObject> {
  return Object.fromEntries(names.map((name) => [name, headerRef(name)]));
}

/**
 * Everything the OpenAPI document says about one route, as one decorator: operation id, summary,
 * generated query parameters, path parameter, body, success and error responses with the contract's
 * bodies, and security.
 */
export function ApiOperationDocs(docs: OperationDocs): MethodDecorator {
  const decorators: MethodDecorator[] = [
    ApiOperation({
      operationId: docs.operationId,
      summary: docs.summary,
      description: docs.description,
      ...(docs.public ? { security: [] } : {}),
    }),
  ];
  if (docs.idParameter !== undefined) {
    decorators.push(
      ApiParam({
        name: docs.idParameter.name,
        description: docs.idParameter.description,
        schema: { type: 'integer', minimum: 1 },
      }),
    );
  }
  for (const { name, description, schema } of docs.pathParameters ?? []) {
    decorators.push(ApiParam({ name, description, schema }));
  }
  for (const parameter of docs.query === undefined
    ? []
    : queryParameters(docs.query.schema, docs.query.mode)) {
    const { name, description, schema, style, explode, allowEmptyValue } = parameter;
    decorators.push(
      ApiQuery({
        name,
        required: false,
        description,
        schema: schema ?? { type: 'string' },
        ...(style === undefined ? {} : { style, explode }),
        ...(allowEmptyValue === true ? { allowEmptyValue } : {}),
      }),
    );
  }
  if (docs.body !== undefined) {
    const { type, description, required = true } = docs.body;
    decorators.push(ApiBody({ type, description, required }));
  }
  const cacheHeaders = [HEADERS.etag, HEADERS.cacheControl];
  // A route that can answer 429 is rate-limited: its answers past the guard carry the budget.
  const limitHeaders = docs.errors.includes(429) ? RATE_LIMIT_HEADERS : [];
  const successHeaders = headerRefs([
    HEADERS.requestId,
    ...(docs.success.headers ?? []),
    ...(docs.conditional ? cacheHeaders : []),
    ...limitHeaders,
  ]);
  if (docs.conditional === true) {
    decorators.push(
      ApiHeader({
        name: 'If-None-Match',
        required: false,
        description:
          'The `ETag` of a copy you hold (or a comma list of them, or `*`): when it still matches, the answer is 304 without a body.',
        schema: { type: 'string' },
      }),
    );
  }
  if (docs.idempotent === true) {
    decorators.push(
      ApiHeader({
        name: 'Idempotency-Key',
        required: false,
        description:
          'Makes retries safe: 1–255 printable ASCII characters of your choice (a UUID), kept per token `sub` for 24 h. A retry with the same key and the same body gets the first answer again (status, body, `Location`, and `Idempotent-Replayed: true`) and creates nothing; the same key with another body is a 422 (`errors.Idempotency-Key`).',
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
      }),
    );
    successHeaders[HEADERS.idempotentReplayed] = headerRef(HEADERS.idempotentReplayed);
  }
  if (docs.ifMatch === true) {
    decorators.push(
      ApiHeader({
        name: 'If-Match',
        required: false,
        description:
          'The `ETag` of the image show (`GET …/image/{id}` without query parameters) you read, a comma list of them, or `*`: the write happens only while it is still current, else 412 and nothing changes (checked after 404).',
        schema: { type: 'string' },
      }),
    );
  }
  decorators.push(
    ApiResponse({
      status: docs.success.status,
      description: docs.success.description,
      headers: successHeaders,
      content: {
        'application/json': {
          schema: schemaRef(docs.success.schema),
          ...(docs.success.examples === undefined ? {} : { examples: docs.success.examples }),
        },
      },
    }),
  );
  if (docs.conditional === true) {
    decorators.push(
      ApiResponse({
        status: 304,
        description: 'Not Modified: the `If-None-Match` tag still matches; no body.',
        headers: headerRefs([HEADERS.requestId, ...cacheHeaders, ...limitHeaders]),
      }),
    );
  }
  for (const status of docs.errors) {
    decorators.push(
      ApiResponse(
        errorResponse(
          status,
          docs.errorExamples?.[status],
          docs.errorDescriptions?.[status],
          limitHeaders.length > 0,
        ),
      ),
    );
  }
  return applyDecorators(...decorators);
}
