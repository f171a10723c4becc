import { sign, type Algorithm } from 'jsonwebtoken';
import { ALL_PERMISSIONS, Permission } from '../../src/auth/permissions';
import { TEST_JWT_SECRET } from './test-app';

export interface TestTokenOptions {
  /** `null` leaves `sub` out. */
  readonly sub?: string | null;
  /** Defaults to every permission; `null` leaves the claim out. */
  readonly permissions?: readonly string[] | null;
  /** jsonwebtoken `expiresIn`; `null` leaves `exp` out. */
  readonly expiresIn?: string | number | null;
  readonly key?: string;
  readonly algorithm?: Algorithm;
  readonly keyid?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/** A token the test app accepts (HS256 with TEST_JWT_SECRET unless told otherwise). */
export function signTestToken(options: TestTokenOptions = {}): string {
  const payload: Record<string, unknown> = {};
  if (options.permissions !== null)
    payload.permissions = options.permissions ?? [...ALL_PERMISSIONS];
  if (options.sub !== null) payload.sub = options.sub ?? 'test-user';
  return sign(payload, options.key ?? TEST_JWT_SECRET, {
    algorithm: options.algorithm ?? 'HS256',
    ...(options.expiresIn === null ? {} : { expiresIn: (options.expiresIn ?? '1h') as never }),
    ...(options.keyid === undefined ? {} : { keyid: options.keyid }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  });
}

/** A token carrying exactly these permissions. */
export function tokenWith(...permissions: Permission[]): string {
  return signTestToken({ permissions });
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned token (`alg: none`) with otherwise perfect claims. */
export function unsignedToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: 'mallory',
    permissions: [...ALL_PERMISSIONS],
    iat: now,
    exp: now + 3600,
    ...claims,
  };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

/** Swaps a valid token's payload for one granting more, keeping the old signature. */
function tamperedToken(): string {
  const [header, , signature] = signTestToken({ permissions: [] }).split('.');
  const now = Math.floor(Date.now() / 1000);
  const payload = base64url({
    sub: 'test-user',
    permissions: [...ALL_PERMISSIONS],
    exp: now + 3600,
  });
  return `${header}.${payload}.${signature}`;
}

/**
 * Tokens every write route must refuse with 401, each otherwise carrying every permission:
 * name → `Authorization` header value.
 */
export function forgedAuthorizations(): Record<string, string> {
  return {
    'alg none': `Bearer ${unsignedToken()}`,
    'wrong key': `Bearer ${signTestToken({ key: 'another-secret-that-is-long-enough-0123456789' })}`,
    'bad signature': `Bearer ${tamperedToken()}`,
    expired: `Bearer ${signTestToken({ expiresIn: -60 })}`,
    'no exp': `Bearer ${signTestToken({ expiresIn: null })}`,
    'no sub': `Bearer ${signTestToken({ sub: null })}`,
    'empty sub': `Bearer ${signTestToken({ sub: '' })}`,
    // Events record the sub as their actor (255 code points); it made every write a 500.
    'sub of 256 characters': `Bearer ${signTestToken({ sub: 'a'.repeat(256) })}`,
    'sub with a lone surrogate': `Bearer ${signTestToken({ sub: 'alice\ud800' })}`,
    'permissions not an array': `Bearer ${signTestToken({ permissions: 'create image' as unknown as string[] })}`,
    // A claim present as null is no array either (it read as absent: 403).
    'permissions null': `Bearer ${sign({ sub: 'test-user', permissions: null }, TEST_JWT_SECRET, { expiresIn: '1h' })}`,
    garbage: 'Bearer not-a-jwt',
    'three garbage parts': 'Bearer aaa.bbb.ccc',
    'not a bearer scheme': `Basic ${Buffer.from('alice:secret').toString('base64')}`,
  };
}

export const bearer = (token: string): string => `Bearer ${token}`;
