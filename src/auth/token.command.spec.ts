import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, verify, type JwtPayload } from 'jsonwebtoken';
import { GENERATED_SECRET_FILE } from './generated-secret';
import { ALL_PERMISSIONS } from './permissions';
import {
  parseDuration,
  parseTokenArguments,
  runTokenCommand,
  TokenCommandError,
} from './token.command';

const SECRET = 'unit-test-secret-of-the-token-command-0123456789';

describe('token command', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'token-command-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const tokenOf = (result: { exitCode: number; stdout: string; stderr: string }): string => {
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    return result.stdout.trim();
  };

  describe('parseTokenArguments', () => {
    it('should read --sub, a permission list and the default lifetime of one hour', () => {
      expect(
        parseTokenArguments(['--sub', 'alice', '--permissions', 'create image, Update  Image']),
      ).toEqual({
        sub: 'alice',
        permissions: ['create image', 'update image'],
        expiresInSeconds: 3600,
        keyFile: undefined,
        kid: undefined,
      });
    });

    it('should grant every permission with --all', () => {
      expect(parseTokenArguments(['--sub', 'a', '--all'])).toMatchObject({
        permissions: ALL_PERMISSIONS,
      });
    });

    it('should allow an empty permission list (a token that may do nothing)', () => {
      expect(parseTokenArguments(['--sub', 'a', '--permissions', ''])).toMatchObject({
        permissions: [],
      });
    });

    it('should answer help', () => {
      expect(parseTokenArguments(['--help'])).toBe('help');
    });

    it.each([
      [[], '--sub is required'],
      [['--sub', ' ', '--all'], '--sub is required'],
      [['--sub', 'a'], 'give --permissions "create image,update image" or --all'],
      [
        ['--sub', 'a', '--all', '--permissions', 'create image'],
        'give --permissions or --all, not both',
      ],
      [
        ['--sub', 'a', '--permissions', 'create image,fly'],
        'unknown permission "fly"; known: create image, update image, delete image, restore image, force delete image',
      ],
      [
        ['--sub', 'a', '--all', '--expires', '1y'],
        '--expires must look like 30s, 15m, 1h or 7d (got "1y")',
      ],
      [['--sub', 'a', '--all', '--bogus'], "Unknown option '--bogus'"],
      // The service refuses such a token (401): the command printed it anyway.
      [
        ['--sub', 'x'.repeat(256), '--all'],
        '--sub must be at most 255 characters of well-formed Unicode',
      ],
    ])('should refuse %j with "%s"', (argv, message) => {
      expect(() => parseTokenArguments(argv)).toThrow(TokenCommandError);
      expect(() => parseTokenArguments(argv)).toThrow(message);
    });
  });

  it.each([
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('should read the duration %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it('should sign HS256 with JWT_SECRET, carrying sub, permissions and exp', () => {
    const token = tokenOf(
      runTokenCommand(
        ['--sub', 'alice', '--permissions', 'create image,update image', '--expires', '15m'],
        {
          JWT_SECRET: SECRET,
          DATA_DIR: dataDir,
        },
      ),
    );
    const payload = verify(token, SECRET, { algorithms: ['HS256'] }) as JwtPayload;
    expect(payload).toEqual({
      sub: 'alice',
      permissions: ['create image', 'update image'],
      iat: expect.any(Number),
      exp: (payload.iat ?? 0) + 900,
    });
  });

  it('should add iss and aud when the service enforces them', () => {
    const token = tokenOf(
      runTokenCommand(['--sub', 'a', '--all'], {
        JWT_SECRET: SECRET,
        JWT_ISSUER: 'https://issuer.example',
        JWT_AUDIENCE: 'image-api',
        DATA_DIR: dataDir,
      }),
    );
    expect(
      verify(token, SECRET, { issuer: 'https://issuer.example', audience: 'image-api' }),
    ).toMatchObject({ iss: 'https://issuer.example', aud: 'image-api' });
  });

  it('should create the generated secret (mode 0600) when no key is configured, and reuse it', () => {
    const first = tokenOf(runTokenCommand(['--sub', 'a', '--all'], { DATA_DIR: dataDir }));
    const file = join(dataDir, GENERATED_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(64);
    expect(verify(first, secret, { algorithms: ['HS256'] })).toMatchObject({ sub: 'a' });

    const second = tokenOf(runTokenCommand(['--sub', 'b', '--all'], { DATA_DIR: dataDir }));
    expect(readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(verify(second, secret, { algorithms: ['HS256'] })).toMatchObject({ sub: 'b' });
  });

  it('should sign RS256 with the private key of an RSA JWT_PUBLIC_KEY', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(dataDir, 'private.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const token = tokenOf(
      runTokenCommand(['--sub', 'a', '--all', '--key', keyFile], {
        JWT_PUBLIC_KEY: publicPem,
        DATA_DIR: dataDir,
      }),
    );
    expect(decode(token, { complete: true })?.header.alg).toBe('RS256');
    expect(verify(token, publicPem, { algorithms: ['RS256'] })).toMatchObject({ sub: 'a' });
  });

  it('should sign ES256 with a P-256 key from JWT_PRIVATE_KEY, with the given kid', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const token = tokenOf(
      runTokenCommand(['--sub', 'a', '--all', '--kid', 'key-2'], {
        JWT_JWKS_URI: 'https://issuer.example/.well-known/jwks.json',
        JWT_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
        DATA_DIR: dataDir,
      }),
    );
    expect(decode(token, { complete: true })?.header).toEqual({
      alg: 'ES256',
      typ: 'JWT',
      kid: 'key-2',
    });
  });

  it('should refuse a private key that does not match JWT_PUBLIC_KEY', () => {
    const configured = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const result = runTokenCommand(['--sub', 'a', '--all'], {
      JWT_PUBLIC_KEY: configured.export({ type: 'spki', format: 'pem' }).toString(),
      JWT_PRIVATE_KEY: other.export({ type: 'pkcs8', format: 'pem' }).toString(),
      DATA_DIR: dataDir,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^token: the private key does not belong to JWT_PUBLIC_KEY\n/);
  });

  it('should ask for a private key in public-key set-ups', () => {
    const result = runTokenCommand(['--sub', 'a', '--all'], {
      JWT_JWKS_URI: 'https://issuer.example/jwks.json',
      DATA_DIR: dataDir,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^token: this service verifies with a public key: give its private key with --key FILE or JWT_PRIVATE_KEY\n/,
    );
  });

  it('should refuse --key when the service verifies with a secret', () => {
    const result = runTokenCommand(['--sub', 'a', '--all', '--key', 'x.pem'], {
      JWT_SECRET: SECRET,
      DATA_DIR: dataDir,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^token: --key is only for JWT_PUBLIC_KEY or JWT_JWKS_URI set-ups\n/,
    );
  });

  it('should report a bad configuration in one line with exit code 1', () => {
    const result = runTokenCommand(['--sub', 'a', '--all'], {
      JWT_SECRET: 'short',
      DATA_DIR: dataDir,
    });
    expect(result).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'token: Invalid configuration: JWT_SECRET must be at least 32 characters long\n',
    });
  });

  it('should print the usage for --help', () => {
    const result = runTokenCommand(['--help'], {});
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run -s token -- --sub NAME/);
  });
});
