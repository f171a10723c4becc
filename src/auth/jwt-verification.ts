import { createPublicKey, KeyObject } from 'node:crypto';
import { decode, type Algorithm } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { fetchJwks, JwksKeySet } from './jwks-key-set';
import { AppConfig, ConfigError } from '../config/app-config';
import { loadOrCreateGeneratedSecret } from './generated-secret';
import { verificationKey } from './verification-key';

export type JwtKeyMode = 'secret' | 'generated-secret' | 'public-key' | 'jwks';

/** How the service checks tokens: the pinned algorithms, the claims it enforces, and the key. */
export interface JwtVerification {
  readonly mode: JwtKeyMode;
  readonly algorithms: Algorithm[];
  readonly issuer?: string;
  readonly audience?: string;
  /** The secret or PEM public key to verify this raw token with. */
  keyFor(rawToken: string): Promise<string>;
  /** Whether `keyFor` answers without waiting for the JWKS endpoint (always, but with a JWKS). */
  keyAtHand(rawToken: string): boolean;
}

/** The JWKS endpoint could not be asked: a server-side problem (503), not a bad token. */
export class KeyUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `The JWKS endpoint could not be read: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'KeyUnavailableError';
  }
}

/** The token names no key the service knows (or no usable header at all). */
export class UnknownKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownKeyError';
  }
}

/** The smallest RSA modulus accepted for RS256. */
const MIN_RSA_BITS = 2048;

/**
 * The algorithm a PEM public key pins: RSA → RS256, EC P-256 → ES256. Anything else is refused at
 * start, so that the algorithm is never taken from a token's header.
 */
export function algorithmForKey(key: KeyObject): 'RS256' | 'ES256' {
  if (key.asymmetricKeyType === 'rsa') {
    // What jsonwebtoken refuses to sign with (and NIST has not allowed since 2013) is not trusted
    // to verify either.
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new ConfigError([
        `JWT key: an RSA key must have at least ${MIN_RSA_BITS} bits (got ${bits})`,
      ]);
    }
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ES256';
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new ConfigError([
    `JWT key must be an RSA key (RS256) or an EC P-256 key (ES256); got ${key.asymmetricKeyType ?? 'unknown'}${curve === undefined ? '' : ` ${curve}`}`,
  ]);
}

export function publicKeyAlgorithm(pem: string): 'RS256' | 'ES256' {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError(['JWT_PUBLIC_KEY is not a readable PEM public key']);
  }
  return algorithmForKey(key);
}

/**
 * Builds the verification set-up from configuration: JWT_SECRET (HS256), JWT_PUBLIC_KEY (RS256 or
 * ES256 by key type), JWT_JWKS_URI (RS256/ES256, keys fetched by `kid` and cached), or, when none is
 * set, the secret generated in the data folder.
 */
export function createJwtVerification(config: AppConfig): JwtVerification {
  const { jwt } = config;
  const claims = { issuer: jwt.issuer, audience: jwt.audience };

  if (jwt.publicKey !== undefined) {
    const publicKey = jwt.publicKey;
    return {
      mode: 'public-key',
      algorithms: [publicKeyAlgorithm(publicKey)],
      ...claims,
      keyFor: () => Promise.resolve(publicKey),
      keyAtHand: () => true,
    };
  }

  if (jwt.jwksUri !== undefined) {
    const keySet = new JwksKeySet(new JwksClient({ jwksUri: jwt.jwksUri, fetcher: fetchJwks }));
    return {
      mode: 'jwks',
      algorithms: ['RS256', 'ES256'],
      ...claims,
      keyFor: async (rawToken) => {
        const header = decode(rawToken, { complete: true })?.header;
        if (header === undefined) throw new UnknownKeyError('the token has no readable header');
        // Refused on sight, before any key is fetched (TokenVerifier refuses it in every mode).
        if ('crit' in header) throw new UnknownKeyError('the token has a crit header');
        let key: string | undefined;
        try {
          key = await keySet.keyFor(header.kid);
        } catch (error) {
          throw new KeyUnavailableError(error);
        }
        if (key === undefined) throw new UnknownKeyError(`the JWKS has no key ${header.kid}`);
        // The rules of JWT_PUBLIC_KEY (found by a probe: a 512-bit RSA key of the set was trusted).
        try {
          algorithmForKey(verificationKey(key));
        } catch {
          throw new UnknownKeyError(`the JWKS key ${header.kid} is too weak or of another kind`);
        }
        // A JWK that names its algorithm takes tokens of that one alone (found by a probe: an
        // `RS512` key verified RS256 tokens).
        const named = keySet.algorithmOf(header.kid);
        if (named !== undefined && named !== header.alg) {
          throw new UnknownKeyError(
            `the JWKS key ${header.kid} is for ${named}, not ${header.alg}`,
          );
        }
        return key;
      },
      keyAtHand: (rawToken) => {
        const header = decode(rawToken, { complete: true })?.header;
        return header === undefined || 'crit' in header || !keySet.wouldFetch(header.kid);
      },
    };
  }

  const secret = jwt.secret ?? loadOrCreateGeneratedSecret(config.dataDir);
  return {
    mode: jwt.secret === undefined ? 'generated-secret' : 'secret',
    algorithms: ['HS256'],
    ...claims,
    keyFor: () => Promise.resolve(secret),
    keyAtHand: () => true,
  };
}
