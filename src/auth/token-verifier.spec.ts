import { sign } from 'jsonwebtoken';
import type { JwtVerification } from './jwt-verification';
import { TokenVerifier } from './token-verifier';

const SECRET = 'token-verifier-spec-secret-0123456789-abcdefghijklmnop';

const verification: JwtVerification = {
  mode: 'secret',
  algorithms: ['HS256'],
  keyFor: () => Promise.resolve(SECRET),
  keyAtHand: () => true,
};

const token = (header: Record<string, unknown> = {}, secret = SECRET) =>
  sign({ sub: 'alice', permissions: ['create image'] }, secret, {
    algorithm: 'HS256',
    expiresIn: '1h',
    header: { alg: 'HS256', ...header },
  });

describe('TokenVerifier', () => {
  const verifier = new TokenVerifier(verification);
  const userOf = (authorization?: string) => verifier.userOf({ headers: { authorization } });

  it('should take the user from a valid bearer token', async () => {
    await expect(userOf(`Bearer ${token()}`)).resolves.toEqual({
      sub: 'alice',
      permissions: ['create image'],
    });
  });

  it('should refuse a correctly signed token with a crit header (RFC 7515 section 4.1.11)', async () => {
    await expect(userOf(`Bearer ${token({ crit: ['exp'] })}`)).resolves.toBeNull();
    await expect(userOf(`Bearer ${token({ crit: [] })}`)).resolves.toBeNull();
  });

  it('should refuse a token signed with another key, and a header that is not Bearer', async () => {
    await expect(userOf(`Bearer ${token({}, `${SECRET}-other`)}`)).resolves.toBeNull();
    await expect(userOf(`Basic ${token()}`)).resolves.toBeNull();
    await expect(userOf(undefined)).resolves.toBeNull();
  });

  it('should verify a request once, whoever asks', () => {
    const request = { headers: { authorization: `Bearer ${token()}` } };
    expect(verifier.userOf(request)).toBe(verifier.userOf(request));
  });
});
