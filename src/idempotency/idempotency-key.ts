import { createHash } from 'node:crypto';
import { ValidationFailedError } from '../common/api-error';

/** The request header of idempotent retries (API.md section 10). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** How long a key is kept: a retry within this gets the first answer again. */
export const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

export const IDEMPOTENCY_MESSAGES = {
  invalid: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
  reused: 'The Idempotency-Key has already been used with another request.',
} as const;

/** 1–255 printable ASCII characters (U+0020–U+007E). */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** Spaces and tabs around a value, which HTTP drops from every header value. */
const SURROUNDING_WHITESPACE = /^[ \t]+|[ \t]+$/g;

/**
 * The key a request sent, undefined when it sent none; a 422 when it is not a valid key. Spaces
 * around it are dropped on every transport, as HTTP drops them: `K ` sent in a message and `K`
 * over HTTP are one key.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? undefined : header.replace(SURROUNDING_WHITESPACE, '');
  if (key === undefined || !KEY_PATTERN.test(key)) {
    throw ValidationFailedError.of(IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_MESSAGES.invalid);
  }
  return key;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Where a key is kept: per `sub` of the token (two clients may pick the same key). */
export function idempotencyKeyHash(sub: string, key: string): string {
  return sha256(JSON.stringify([sub, key]));
}

/**
 * A JSON write's body as it is compared: no body (or `null`) is `{}`, as `validateBody` reads it,
 * so a retry that adds or drops an empty body is the same request.
 */
export function comparableBody(body: unknown): unknown {
  return body ?? {};
}

/**
 * What makes two requests "the same": the method, the route and the body, with object keys in
 * sorted order (`{"a":1,"b":2}` and `{"b":2,"a":1}` are one body).
 */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return sha256(`${method} ${route}\n${canonicalJson(body)}`);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
