import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../config/app-config';
import { GENERATED_SECRET_FILE, loadOrCreateGeneratedSecret } from './generated-secret';
import { createJwtVerification, publicKeyAlgorithm } from './jwt-verification';

const pem = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }) =>
  key.export({ type: 'spki', format: 'pem' }).toString();

describe('JWT verification set-up', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'jwt-verification-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should pin RS256 for an RSA public key', () => {
    expect(
      publicKeyAlgorithm(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)),
    ).toBe('RS256');
  });

  it('should pin ES256 for an EC P-256 public key', () => {
    expect(
      publicKeyAlgorithm(pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)),
    ).toBe('ES256');
  });

  it.each([
    [
      'EC P-384',
      () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
      'ec secp384r1',
    ],
    ['Ed25519', () => generateKeyPairSync('ed25519').publicKey, 'ed25519'],
  ])('should refuse a %s public key at start', (_case, makeKey, described) => {
    expect(() => publicKeyAlgorithm(pem(makeKey()))).toThrow(ConfigError);
    expect(() => publicKeyAlgorithm(pem(makeKey()))).toThrow(
      `JWT key must be an RSA key (RS256) or an EC P-256 key (ES256); got ${described}`,
    );
  });

  it('should refuse an RSA public key under 2048 bits at start', () => {
    const weak = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
    expect(() => publicKeyAlgorithm(weak)).toThrow(ConfigError);
    expect(() => publicKeyAlgorithm(weak)).toThrow(
      'JWT key: an RSA key must have at least 2048 bits (got 1024)',
    );
    expect(
      publicKeyAlgorithm(pem(generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey)),
    ).toBe('RS256');
  });

  it('should refuse an unreadable PEM', () => {
    expect(() =>
      publicKeyAlgorithm('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'),
    ).toThrow('JWT_PUBLIC_KEY is not a readable PEM public key');
  });

  it('should use HS256 with JWT_SECRET and carry issuer and audience', async () => {
    const secret = 'x'.repeat(40);
    const verification = createJwtVerification(
      parseConfig({
        JWT_SECRET: secret,
        JWT_ISSUER: 'iss',
        JWT_AUDIENCE: 'aud',
        DATA_DIR: dataDir,
      }),
    );
    expect(verification).toMatchObject({
      mode: 'secret',
      algorithms: ['HS256'],
      issuer: 'iss',
      audience: 'aud',
    });
    await expect(verification.keyFor('any')).resolves.toBe(secret);
  });

  it('should allow only RS256 and ES256 with a JWKS endpoint', () => {
    const verification = createJwtVerification(
      parseConfig({ JWT_JWKS_URI: 'https://issuer.example/jwks.json', DATA_DIR: dataDir }),
    );
    expect(verification).toMatchObject({ mode: 'jwks', algorithms: ['RS256', 'ES256'] });
  });

  it('should generate a secret in the data folder when nothing is configured', async () => {
    const verification = createJwtVerification(parseConfig({ DATA_DIR: dataDir }));
    const file = join(dataDir, GENERATED_SECRET_FILE);
    expect(verification.mode).toBe('generated-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(verification.keyFor('any')).resolves.toBe(readFileSync(file, 'utf8').trim());
  });

  it('should reuse the generated secret and tighten a file left readable by others', () => {
    const first = loadOrCreateGeneratedSecret(dataDir);
    const file = join(dataDir, GENERATED_SECRET_FILE);
    writeFileSync(file, `${first}\n`, { mode: 0o644 });
    expect(loadOrCreateGeneratedSecret(dataDir)).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('should refuse a generated-secret file that is too short to be a secret', () => {
    writeFileSync(join(dataDir, GENERATED_SECRET_FILE), 'short\n', { mode: 0o600 });
    expect(() => loadOrCreateGeneratedSecret(dataDir)).toThrow(/holds no usable JWT secret/);
  });
});
