import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { sign, verify, type Algorithm, type VerifyOptions } from 'jsonwebtoken';
import { verificationKey } from './verification-key';

const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const SECRET = 'a-secret-of-the-verification-key-spec-0123456789';
const RSA_PEM = pem(rsa.publicKey);
const EC_PEM = pem(ec.publicKey);

const claims = { sub: 'user-1', permissions: ['create image'] };
const TOKENS: Record<string, string> = {
  'HS256, the secret': sign(claims, SECRET, { algorithm: 'HS256' }),
  'HS256, another secret': sign(claims, `${SECRET}x`, { algorithm: 'HS256' }),
  'HS256, the RSA PEM as its secret': sign(claims, RSA_PEM, { algorithm: 'HS256' }),
  'RS256, the key': sign(claims, rsa.privateKey, { algorithm: 'RS256' }),
  'RS256, another key': sign(claims, otherRsa.privateKey, { algorithm: 'RS256' }),
  'ES256, the key': sign(claims, ec.privateKey, { algorithm: 'ES256' }),
  'HS256, expired': sign({ ...claims, exp: 1 }, SECRET, { algorithm: 'HS256' }),
  unsigned: sign(claims, null, { algorithm: 'none' }),
  garbage: 'not.a.token',
};
const KEYS: Record<string, string> = { secret: SECRET, 'RSA PEM': RSA_PEM, 'EC PEM': EC_PEM };
const ALGORITHM_SETS: (Algorithm[] | undefined)[] = [
  ['HS256'],
  ['RS256'],
  ['RS256', 'ES256'],
  ['HS256', 'RS256'],
  undefined,
];

/** What `verify` answers: the payload, or the error's name and message. */
function outcome(token: string, key: string | KeyObject, algorithms?: Algorithm[]): unknown {
  const options: VerifyOptions = algorithms === undefined ? {} : { algorithms: [...algorithms] };
  try {
    return { payload: verify(token, key, options) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

describe('verificationKey', () => {
  const cases = Object.entries(TOKENS).flatMap(([token, raw]) =>
    Object.entries(KEYS).flatMap(([key, material]) =>
      ALGORITHM_SETS.map((algorithms) => [
        token,
        key,
        String(algorithms),
        raw,
        material,
        algorithms,
      ]),
    ),
  ) as [string, string, string, string, string, Algorithm[] | undefined][];

  it.each(cases)(
    'should let verify answer as with the string key: token %s, key %s, algorithms %s',
    (_token, _key, _algorithms, raw, material, algorithms) => {
      expect(outcome(raw, verificationKey(material), algorithms)).toEqual(
        outcome(raw, material, algorithms),
      );
    },
  );

  it('should make each key once', () => {
    expect(verificationKey(SECRET)).toBe(verificationKey(SECRET));
    expect(verificationKey(SECRET).type).toBe('secret');
    expect(verificationKey(RSA_PEM).type).toBe('public');
  });

  it('should accept the valid tokens only', () => {
    expect(outcome(TOKENS['HS256, the secret'], verificationKey(SECRET), ['HS256'])).toEqual({
      payload: expect.objectContaining(claims) as unknown,
    });
    expect(outcome(TOKENS['HS256, the RSA PEM as its secret'], verificationKey(RSA_PEM))).toEqual({
      error: 'JsonWebTokenError: invalid algorithm',
    });
  });
});
