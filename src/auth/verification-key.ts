import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';

/** Distinct keys kept (a secret, a public key, a JWKS's few): more empties the cache. */
const MAX_KEYS = 32;
const keys = new Map<string, KeyObject>();

/**
 * The `KeyObject` jsonwebtoken's `verify` would make of `key` (a PEM public key, else the bytes of
 * a secret), made once per key: `verify` converts a string key on every call, trying it as a public
 * key first, and that failing parse is most of what verifying an HS256 token costs
 * (docs/PERFORMANCE.md, writes). Throws as `createSecretKey` does for unusable material.
 */
export function verificationKey(key: string): KeyObject {
  let object = keys.get(key);
  if (object === undefined) {
    try {
      object = createPublicKey(key);
    } catch {
      object = createSecretKey(Buffer.from(key));
    }
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(key, object);
  }
  return object;
}
