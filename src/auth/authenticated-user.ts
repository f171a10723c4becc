/** Who a verified token speaks for, and what it may do. */
export interface AuthenticatedUser {
  readonly sub: string;
  readonly permissions: readonly string[];
}

/**
 * Turns a verified JWT payload into a user, or null when the token lacks what the contract requires:
 * a numeric `exp` (jsonwebtoken only checks it when present), a non-empty string `sub`, and a
 * `permissions` claim that, when present, is an array of strings.
 */
export function toAuthenticatedUser(payload: unknown): AuthenticatedUser | null {
  if (payload === null || typeof payload !== 'object') return null;
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return null;
  if (typeof claims.sub !== 'string' || claims.sub === '') return null;
  const permissions = claims.permissions ?? [];
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) return null;
  return { sub: claims.sub, permissions };
}
