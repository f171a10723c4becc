import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/** The parts of an OpenAPI 3.0 document the tests read (a plain JSON object). */
export interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, unknown>;
    headers?: Record<string, unknown>;
    securitySchemes?: Record<string, unknown>;
  };
  [key: string]: unknown;
}

export interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  style?: string;
  explode?: boolean;
  example?: unknown;
  schema: Record<string, unknown> & { default?: unknown };
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { $ref?: string }>;
  content?: Record<
    string,
    {
      schema: { $ref?: string };
      example?: unknown;
      examples?: Record<string, { value: unknown }>;
    }
  >;
}

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: unknown;
  responses: Record<string, OpenApiResponse>;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Every operation of the document as `[METHOD path, operation]`. */
export function operationsOf(document: OpenApiDocument): [string, OpenApiOperation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method] !== undefined).map(
      (method): [string, OpenApiOperation] => [`${method.toUpperCase()} ${path}`, item[method]],
    ),
  );
}

/**
 * OpenAPI 3.0 schema → JSON Schema for ajv: `nullable: true` becomes a `null` type and, as
 * OpenAPI 3.0.3 reads it, leaves an `enum` alone (the document must list `null` there itself);
 * `$ref`s keep pointing into the document.
 */
function toJsonSchema(value: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(value)) return value.map((entry) => toJsonSchema(entry));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    // OpenAPI-only keywords; in a `properties` map the keys are property names and stay.
    if (!isPropertyMap && ['nullable', 'example', 'examples'].includes(key)) continue;
    result[key] = toJsonSchema(entry, !isPropertyMap && key === 'properties');
  }
  if (isPropertyMap) return result;
  if ((value as { nullable?: unknown }).nullable === true) {
    if (typeof result.type === 'string') result.type = [result.type, 'null'];
  }
  return result;
}

function isEmptyBody(body: unknown): boolean {
  return (
    body === undefined ||
    body === '' ||
    (typeof body === 'object' && body !== null && Object.keys(body).length === 0)
  );
}

/** Validates JSON values against the document's schemas with ajv (formats left to `pattern`). */
export class DocumentValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    this.ajv.addSchema(
      { components: { schemas: toJsonSchema(document.components.schemas) } },
      'openapi',
    );
  }

  /** Compiles a schema written in the document (usually `{ $ref: '#/components/schemas/X' }`). */
  private validatorFor(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      const rooted = JSON.parse(
        key.replace(/"#\/components\//g, '"openapi#/components/'),
      ) as object;
      validate = this.ajv.compile(toJsonSchema(rooted) as object);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** The ajv errors of `value` against `schema` (an empty list when it is valid). */
  errorsOf(schema: unknown, value: unknown): ErrorObject[] {
    const validate = this.validatorFor(schema);
    return validate(value) ? [] : [...(validate.errors ?? [])];
  }

  /** The declared JSON response of an operation (`GET /api/image/{id}`) for a status. */
  response(operation: string, status: number): OpenApiResponse {
    const [method, path] = operation.split(' ');
    const declared = this.document.paths[path]?.[method.toLowerCase()];
    if (declared === undefined) throw new Error(`${operation} is not in the document`);
    const response = declared.responses[String(status)];
    if (response === undefined) {
      throw new Error(`${operation} does not declare the status ${status}`);
    }
    return response;
  }

  /** The header object a response declares (following a `$ref` to `components.headers`). */
  private header(reference: { $ref?: string }): { required?: boolean } {
    const name = reference.$ref?.replace('#/components/headers/', '');
    return (name === undefined ? reference : this.document.components.headers?.[name]) ?? {};
  }

  /**
   * Why a real response does not match what the document declares for it (empty when it does):
   * the status is declared, the body validates against its schema (or is empty when the response
   * declares no content), and every header declared `required` is present.
   */
  problemsOf(
    operation: string,
    actual: { status: number; body: unknown; headers: Record<string, unknown> },
  ): string[] {
    const response = this.response(operation, actual.status);
    const schema = response.content?.['application/json']?.schema;
    const problems =
      schema === undefined
        ? isEmptyBody(actual.body)
          ? []
          : ['a body where the document declares none']
        : this.errorsOf(schema, actual.body).map(
            (error) =>
              `body${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
          );
    for (const [name, reference] of Object.entries(response.headers ?? {})) {
      if (
        this.header(reference).required === true &&
        actual.headers[name.toLowerCase()] === undefined
      ) {
        problems.push(`missing header ${name}`);
      }
    }
    return problems;
  }
}
