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
