import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';

/**
 * The absolute base of the API (`https://host/api`): `PUBLIC_URL` when set, otherwise the request's
 * own protocol and host (forwarded headers are not trusted), followed by `API_PREFIX`.
 */
export function apiBaseUrl(config: AppConfig, request: FastifyRequest): string {
  const origin = config.publicUrl ?? `${request.protocol}://${request.host}`;
  // Only a PUBLIC_URL may end in `/`: a request's own origin skips the regular expression.
  const base = origin.endsWith('/') ? origin.replace(/\/+$/, '') : origin;
  return `${base}/${config.apiPrefix}`;
}

/**
 * `value` as one segment of a URL path: percent-encoded, and a whole `.` or `..` (which a URL
 * resolver reads as "here" or "up one") as `%2E` or `%2E%2E`. RFC 3986 resolvers keep those;
 * WHATWG URL parsers (browsers, `fetch`) still read them as dot segments.
 */
export function urlPathSegment(value: string): string {
  if (value === '.' || value === '..') return '%2E'.repeat(value.length);
  return encodeURIComponent(value);
}
