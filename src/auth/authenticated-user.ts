import { codePointLength, isWellFormed } from '../common/unicode';

/** Who a verified token speaks for, and what it may do. */
export interface AuthenticatedUser {
  readonly sub: string;
  readonly permissions: readonly string[];
}

/** The longest `sub`, in code points: events record it as their `actor`, a `varchar(255)`. */
export const MAX_SUB_LENGTH = 255;

/** A non-empty string of well-formed Unicode (no lone surrogate) of at most 255 code points. */
export function isUsableSub(sub: unknown): sub is string {
  return (
    typeof sub === 'string' &&
    sub !== '' &&
    sub.length <= 2 * MAX_SUB_LENGTH &&
    isWellFormed(sub) &&
    codePointLength(sub) <= MAX_SUB_LENGTH
  );
}

/**
 * Turns a verified JWT payload into a user, or null when the token lacks what the contract requires:
 * a numeric `exp` (jsonwebtoken only checks it when present), a non-empty string `sub`, and a
 * `permissions` claim that, when present, is an array of strings. A `sub` the service cannot
 * record as it was sent (over 255 code points, or with a lone surrogate, which would be stored as
 * U+FFFD) is refused too: it made every write a 500.
 */
export function toAuthenticatedUser(payload: unknown): AuthenticatedUser | null {
  if (payload === null || typeof payload !== 'object') return null;
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return null;
  if (!isUsableSub(claims.sub)) return null;
  // Absent is none; a null claim is present and no array (401, as a string is).
  const permissions = claims.permissions === undefined ? [] : claims.permissions;
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) return null;
  return { sub: claims.sub, permissions };
}
