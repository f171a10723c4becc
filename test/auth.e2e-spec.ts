import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'jsonwebtoken';
import { ALL_PERMISSIONS, Permission } from '../src/auth/permissions';
import { runTokenCommand } from '../src/auth/token.command';
import { countRows } from './helpers/image-rows';
import { serveJwks } from './helpers/jwks-server';
import { createTestApp, describeEachDatabase, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { bearer, unsignedToken } from './helpers/tokens';

const UNAUTHENTICATED = { message: 'Unauthenticated.' };
const FORBIDDEN = { message: 'This action is unauthorized.' };

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  permissions: [...ALL_PERMISSIONS],
  ...extra,
});

/** HS256 over the given key bytes, built by hand (jsonwebtoken refuses to HMAC with a PEM). */
function hmacToken(secret: string, payload: Record<string, unknown>, kid?: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'HS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) });
  const body = encode({ exp: Math.floor(Date.now() / 1000) + 600, ...payload });
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/** POST /api/image with a token: the status and body it gets. */
async function createWith(testApp: TestApp, authorization: string) {
  const response = await testApp
    .http()
    .post('/api/image')
    .set('Authorization', authorization)
    .send({ path: 'auth/test.jpg', facet: 'Cover' });
  return { status: response.status, body: response.body as Record<string, unknown>, response };
}

describe('RS256 with JWT_PUBLIC_KEY', () => {
  const keys = rsa();
  const stranger = rsa();
  const publicPem = spki(keys.publicKey);

  describeEachDatabase(
    'RS256 with JWT_PUBLIC_KEY',
    (context) => {
      it('should accept an RS256 token signed with the matching private key', async () => {
        const token = sign(claims(), keys.privateKey, { algorithm: 'RS256', expiresIn: '5m' });
        const { status, body } = await createWith(context(), bearer(token));
        expect(status).toBe(201);
        expect(body.image).toMatchObject({ path: 'auth/test.jpg', facet: 'Cover' });
      });

      it.each([
        ['HS256 signed with the public key as the secret', () => hmacToken(publicPem, claims())],
        [
          'RS256 from another key pair',
          () => sign(claims(), stranger.privateKey, { algorithm: 'RS256', expiresIn: '5m' }),
        ],
        [
          'RS512 with the right key (algorithm not pinned)',
          () => sign(claims(), keys.privateKey, { algorithm: 'RS512', expiresIn: '5m' }),
        ],
        [
          'PS256 with the right key (algorithm not pinned)',
          () => sign(claims(), keys.privateKey, { algorithm: 'PS256', expiresIn: '5m' }),
        ],
        ['alg none', () => unsignedToken()],
        [
          'RS256 expired',
          () => sign(claims(), keys.privateKey, { algorithm: 'RS256', expiresIn: -10 }),
        ],
        ['RS256 without exp', () => sign(claims(), keys.privateKey, { algorithm: 'RS256' })],
        [
          'RS256 without sub',
          () =>
            sign({ permissions: [...ALL_PERMISSIONS] }, keys.privateKey, {
              algorithm: 'RS256',
              expiresIn: '5m',
            }),
        ],
      ])('should answer 401 to %s and create nothing', async (_case, makeToken) => {
        const before = await countRows(context().dataSource, 'images');
        const { status, body, response } = await createWith(context(), bearer(makeToken()));
        expect(status).toBe(401);
        expect(body).toEqual(UNAUTHENTICATED);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(await countRows(context().dataSource, 'images')).toBe(before);
      });

      it('should still check permissions: 403 for an RS256 token without "create image"', async () => {
        const token = sign(claims({ permissions: [Permission.DeleteImage] }), keys.privateKey, {
          algorithm: 'RS256',
          expiresIn: '5m',
        });
        const { status, body } = await createWith(context(), bearer(token));
        expect(status).toBe(403);
        expect(body).toEqual(FORBIDDEN);
      });
    },
    { env: { JWT_SECRET: undefined, JWT_PUBLIC_KEY: publicPem } },
  );
});

describe('ES256 with JWT_PUBLIC_KEY', () => {
  const keys = p256();
  const rsaKeys = rsa();

  describeEachDatabase(
    'ES256 with JWT_PUBLIC_KEY',
    (context) => {
      it('should accept an ES256 token signed with the matching private key', async () => {
        const token = sign(claims(), keys.privateKey, { algorithm: 'ES256', expiresIn: '5m' });
        expect((await createWith(context(), bearer(token))).status).toBe(201);
      });

      it.each([
        [
          'RS256 from an RSA key',
          () => sign(claims(), rsaKeys.privateKey, { algorithm: 'RS256', expiresIn: '5m' }),
        ],
        ['HS256 with the public key', () => hmacToken(spki(keys.publicKey), claims())],
        [
          'ES256 from another P-256 key',
          () => sign(claims(), p256().privateKey, { algorithm: 'ES256', expiresIn: '5m' }),
        ],
      ])('should answer 401 to %s', async (_case, makeToken) => {
        const { status, body } = await createWith(context(), bearer(makeToken()));
        expect(status).toBe(401);
        expect(body).toEqual(UNAUTHENTICATED);
      });
    },
    { env: { JWT_SECRET: undefined, JWT_PUBLIC_KEY: spki(keys.publicKey) } },
  );
});

describe('a public key of an unsupported type', () => {
  it('should stop start-up with a message naming the key problem', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    await expect(
      createTestApp('sqlite', { env: { JWT_SECRET: undefined, JWT_PUBLIC_KEY: spki(p384) } }),
    ).rejects.toThrow(
      'JWT key must be an RSA key (RS256) or an EC P-256 key (ES256); got ec secp384r1',
    );
  });
});

describe.each(testDatabaseKinds())('RS256 and ES256 through JWT_JWKS_URI [%s]', (kind) => {
  const rsaKeys = rsa();
  const ecKeys = p256();
  const rs512Keys = rsa();
  const unnamedKeys = rsa();
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  let testApp: TestApp;

  beforeAll(async () => {
    jwks = await serveJwks(
      {
        'rsa-1': rsaKeys.publicKey,
        'ec-1': ecKeys.publicKey,
        'rs512-only': rs512Keys.publicKey,
        'no-alg': unnamedKeys.publicKey,
      },
      { 'rs512-only': 'RS512', 'no-alg': null },
    );
    testApp = await createTestApp(kind, {
      env: { JWT_SECRET: undefined, JWT_JWKS_URI: jwks.uri },
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await jwks?.close();
  });

  it('should accept RS256 tokens whose kid names an RSA key of the JWKS, fetching the keys once', async () => {
    const token = sign(claims(), rsaKeys.privateKey, {
      algorithm: 'RS256',
      expiresIn: '5m',
      keyid: 'rsa-1',
    });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await createWith(testApp, bearer(token))).status).toBe(201);
    }
    expect(jwks.requests()).toBe(1);
  });

  // Found by a black-box probe: tokens naming made-up key ids used up jwks-rsa's fetch budget
  // (10 a minute, shared by everyone), and a valid token whose key was not cached yet got a 401.
  it('should accept a valid token after a flood of made-up key ids, which fetch nothing more', async () => {
    const before = jwks.requests();
    for (let index = 0; index < 15; index += 1) {
      const forged = sign(claims(), rsa().privateKey, {
        algorithm: 'RS256',
        expiresIn: '5m',
        keyid: `made-up-${index}`,
      });
      expect((await createWith(testApp, bearer(forged))).status).toBe(401);
    }
    const token = sign(claims(), ecKeys.privateKey, {
      algorithm: 'ES256',
      expiresIn: '5m',
      keyid: 'ec-1',
    });
    expect((await createWith(testApp, bearer(token))).status).toBe(201);
    expect(jwks.requests() - before).toBeLessThanOrEqual(1);
  });

  // Found by a probe: a key's own `alg` was ignored, so an `RS512` key verified RS256 tokens.
  it('should refuse a token signed with another algorithm than its JWK names, and take one whose JWK names none', async () => {
    const signed = (privateKey: KeyObject, keyid: string) =>
      sign(claims(), privateKey, { algorithm: 'RS256', expiresIn: '5m', keyid });
    expect(
      (await createWith(testApp, bearer(signed(rs512Keys.privateKey, 'rs512-only')))).status,
    ).toBe(401);
    expect(
      (await createWith(testApp, bearer(signed(unnamedKeys.privateKey, 'no-alg')))).status,
    ).toBe(201);
  });

  it('should accept ES256 tokens whose kid names the P-256 key', async () => {
    const token = sign(claims(), ecKeys.privateKey, {
      algorithm: 'ES256',
      expiresIn: '5m',
      keyid: 'ec-1',
    });
    expect((await createWith(testApp, bearer(token))).status).toBe(201);
  });

  it.each([
    [
      'an unknown kid',
      () =>
        sign(claims(), rsaKeys.privateKey, { algorithm: 'RS256', expiresIn: '5m', keyid: 'nope' }),
    ],
    [
      'no kid while the JWKS holds two keys',
      () => sign(claims(), rsaKeys.privateKey, { algorithm: 'RS256', expiresIn: '5m' }),
    ],
    [
      'a known kid but another private key',
      () =>
        sign(claims(), rsa().privateKey, { algorithm: 'RS256', expiresIn: '5m', keyid: 'rsa-1' }),
    ],
    [
      'ES256 claiming the RSA key',
      () =>
        sign(claims(), ecKeys.privateKey, { algorithm: 'ES256', expiresIn: '5m', keyid: 'rsa-1' }),
    ],
    [
      'HS256 with the RSA key PEM as the secret',
      () => hmacToken(spki(rsaKeys.publicKey), claims(), 'rsa-1'),
    ],
    [
      'an expired RS256 token',
      () =>
        sign(claims(), rsaKeys.privateKey, { algorithm: 'RS256', expiresIn: -5, keyid: 'rsa-1' }),
    ],
    ['alg none', () => unsignedToken()],
    ['garbage', () => 'garbage'],
    [
      'a crit header, signed by a key of the JWKS',
      () =>
        sign(claims(), rsaKeys.privateKey, {
          algorithm: 'RS256',
          expiresIn: '5m',
          keyid: 'rsa-1',
          header: { alg: 'RS256', kid: 'rsa-1', crit: ['exp'] },
        }),
    ],
  ])('should answer 401 to %s', async (_case, makeToken) => {
    const { status, body } = await createWith(testApp, bearer(makeToken()));
    expect(status).toBe(401);
    expect(body).toEqual(UNAUTHENTICATED);
  });
});

/**
 * A JWKS endpoint that misbehaves after its headers (found by a probe): jwks-rsa bounded only the
 * wait for them, so a body that stalled or trickled left every request with a token waiting for
 * good, even after the endpoint was well again, and a huge body ended the process. Keys the rules
 * of JWT_PUBLIC_KEY refuse (under 2048 bits) and keys the set does not tell apart (two without a
 * kid, two with one kid) verify nothing.
 */
describe('a JWKS endpoint that misbehaves', () => {
  const good = rsa();
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  let mode: 'good' | 'stall' | 'trickle' | 'huge' | 'error' | 'weak' | 'twins' = 'good';
  let server: Server;
  let testApp: TestApp;
  const jwk = (key: KeyObject, kid?: string) => ({
    ...key.export({ format: 'jwk' }),
    ...(kid === undefined ? {} : { kid }),
    use: 'sig',
    alg: 'RS256',
  });

  beforeAll(async () => {
    server = createServer((_request, response) => {
      const send = (keys: object[]) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ keys }));
      };
      if (mode === 'good') return send([jwk(good.publicKey, 'k1')]);
      if (mode === 'weak') return send([jwk(weak.publicKey, 'k1')]);
      if (mode === 'twins') return send([jwk(good.publicKey), jwk(rsa().publicKey)]);
      if (mode === 'error') {
        response.writeHead(500);
        return response.end('{"message":"internal"}');
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      if (mode === 'stall') return response.write('{"keys":');
      if (mode === 'trickle') {
        const timer = setInterval(() => response.write(' '), 500);
        response.on('close', () => clearInterval(timer));
        return;
      }
      // huge: 64 MiB of spaces, as fast as the reader takes them.
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && response.write(chunk)) sent += 1;
        if (sent < 64) response.once('drain', pump);
        else response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    testApp = await createTestApp('sqlite', {
      env: { JWT_SECRET: undefined, JWT_JWKS_URI: `http://127.0.0.1:${port}/jwks.json` },
    });
  });

  afterAll(async () => {
    await testApp?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  const token = (key: KeyObject, kid?: string) =>
    sign(claims(), key, {
      algorithm: 'RS256',
      expiresIn: '5m',
      ...(kid === undefined ? {} : { keyid: kid }),
      allowInsecureKeySizes: true,
    });

  it.each(['stall', 'trickle', 'huge', 'error'] as const)(
    'should answer 503 within its time limit while the endpoint answers with %s, and recover',
    async (failing) => {
      // An app of its own: no key set fetched yet.
      const app = await createTestApp('sqlite', {
        env: { JWT_SECRET: undefined, JWT_JWKS_URI: testApp.config.jwt.jwksUri },
      });
      try {
        mode = failing;
        const started = Date.now();
        const { status, body } = await createWith(app, bearer(token(good.privateKey, 'k1')));
        expect({ status, body }).toEqual({
          status: 503,
          body: { message: 'Service Unavailable.' },
        });
        expect(Date.now() - started).toBeLessThan(7000);
        mode = 'good';
        // After the failure's back-off (5 s) the keys are fetched again.
        await new Promise((resolve) => setTimeout(resolve, 5200));
        expect((await createWith(app, bearer(token(good.privateKey, 'k1')))).status).toBe(201);
      } finally {
        await app.close();
      }
    },
    30_000,
  );

  it('should trust no key of the set under 2048 bits, and no key it cannot tell apart', async () => {
    mode = 'weak';
    // A kid the cached set lacks fetches again (at most once per 30 s): a new app asks at once.
    const weakApp = await createTestApp('sqlite', {
      env: { JWT_SECRET: undefined, JWT_JWKS_URI: testApp.config.jwt.jwksUri },
    });
    try {
      const refused = await createWith(weakApp, bearer(token(weak.privateKey, 'k1')));
      expect(refused).toMatchObject({ status: 401, body: UNAUTHENTICATED });
    } finally {
      await weakApp.close();
    }
    mode = 'twins';
    const twinsApp = await createTestApp('sqlite', {
      env: { JWT_SECRET: undefined, JWT_JWKS_URI: testApp.config.jwt.jwksUri },
    });
    try {
      // Two keys without a kid: neither is "the set's only key" (the last one fetched won).
      const refused = await createWith(twinsApp, bearer(token(good.privateKey)));
      expect(refused).toMatchObject({ status: 401, body: UNAUTHENTICATED });
      expect(await countRows(twinsApp.dataSource, 'images')).toBe(0);
    } finally {
      await twinsApp.close();
    }
  }, 30_000);
});

// Found by a probe: the rate limiter verified a read's token to pick its bucket, and so waited
// for the JWKS endpoint (5 s when it was down), though a read needs no token.
describe('a JWKS endpoint that does not answer yet', () => {
  it('should answer reads with a token at once, from the IP’s bucket, while a write waits for the keys', async () => {
    const keys = rsa();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const jwks = await serveJwks({ 'rsa-1': keys.publicKey }, {}, () => gate);
    const testApp = await createTestApp('sqlite', {
      env: { JWT_SECRET: undefined, JWT_JWKS_URI: jwks.uri, RATE_LIMIT_PER_MINUTE: '60' },
    });
    try {
      const token = sign(claims(), keys.privateKey, {
        algorithm: 'RS256',
        expiresIn: '5m',
        keyid: 'rsa-1',
      });
      const read = await testApp.http().get('/api/image').set('Authorization', bearer(token));
      expect([read.status, read.headers['x-ratelimit-remaining']]).toEqual([200, '59']);
      expect(jwks.requests()).toBe(0);
      // The write's guard asks for the keys, and waits for them.
      const write = createWith(testApp, bearer(token));
      while (jwks.requests() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      // Meanwhile a read still answers, from the same (IP) bucket.
      const again = await testApp.http().get('/api/image').set('Authorization', bearer(token));
      expect([again.status, again.headers['x-ratelimit-remaining']]).toEqual([200, '57']);
      open();
      expect((await write).status).toBe(201);
      // With the keys at hand, the token's own bucket.
      const known = await testApp.http().get('/api/image').set('Authorization', bearer(token));
      expect([known.status, known.headers['x-ratelimit-remaining']]).toEqual([200, '59']);
      expect(jwks.requests()).toBe(1);
    } finally {
      open();
      await testApp.close();
      await jwks.close();
    }
  });
});

describe('an unreachable JWKS endpoint', () => {
  it('should answer 503, not 401, since the token could not be checked', async () => {
    const jwks = await serveJwks({});
    await jwks.close();
    const testApp = await createTestApp('sqlite', {
      env: { JWT_SECRET: undefined, JWT_JWKS_URI: jwks.uri },
    });
    try {
      const token = sign(claims(), rsa().privateKey, {
        algorithm: 'RS256',
        expiresIn: '5m',
        keyid: 'rsa-1',
      });
      const { status, body } = await createWith(testApp, bearer(token));
      expect(status).toBe(503);
      expect(body).toEqual({ message: 'Service Unavailable.' });
      // A token with a crit header is refused on sight: no key is needed to judge it.
      const critical = sign(claims(), rsa().privateKey, {
        algorithm: 'RS256',
        expiresIn: '5m',
        header: { alg: 'RS256', kid: 'rsa-1', crit: ['exp'] },
      });
      const refused = await createWith(testApp, bearer(critical));
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual(UNAUTHENTICATED);
      expect(await countRows(testApp.dataSource, 'images')).toBe(0);
    } finally {
      await testApp.close();
    }
  });
});

describeEachDatabase(
  'JWT_ISSUER and JWT_AUDIENCE',
  (context) => {
    const secret = 'issuer-audience-test-secret-0123456789abcdef';
    const token = (options: { issuer?: string; audience?: string }) =>
      sign(claims(), secret, { algorithm: 'HS256', expiresIn: '5m', ...options });

    it('should accept a token with the configured issuer and audience', async () => {
      const { status } = await createWith(
        context(),
        bearer(token({ issuer: 'https://auth.example', audience: 'image-api' })),
      );
      expect(status).toBe(201);
    });

    it.each([
      ['a wrong issuer', { issuer: 'https://evil.example', audience: 'image-api' }],
      ['a wrong audience', { issuer: 'https://auth.example', audience: 'other-api' }],
      ['no issuer', { audience: 'image-api' }],
      ['no audience', { issuer: 'https://auth.example' }],
    ])('should answer 401 to %s', async (_case, options) => {
      const { status, body } = await createWith(context(), bearer(token(options)));
      expect(status).toBe(401);
      expect(body).toEqual(UNAUTHENTICATED);
    });
  },
  {
    env: {
      JWT_SECRET: 'issuer-audience-test-secret-0123456789abcdef',
      JWT_ISSUER: 'https://auth.example',
      JWT_AUDIENCE: 'image-api',
    },
  },
);

describe('the generated secret (no JWT key configured)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-generated-secret-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ JWT_SECRET: undefined, DATA_DIR: dataDir });

  it('should create it on first start (mode 0600), keep it across restarts, and accept what the token command signs', async () => {
    const file = join(dataDir, 'jwt-secret');
    const first = await createTestApp('sqlite', { env: env() });
    let secret: string;
    let earlyToken: string;
    try {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      secret = readFileSync(file, 'utf8').trim();
      expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
      earlyToken = runTokenCommand(['--sub', 'alice', '--all'], {
        DATA_DIR: dataDir,
      }).stdout.trim();
      expect((await createWith(first, bearer(earlyToken))).status).toBe(201);
      const foreign = sign(claims(), 'not-the-generated-secret-0123456789abcdef', {
        algorithm: 'HS256',
        expiresIn: '5m',
      });
      expect((await createWith(first, bearer(foreign))).status).toBe(401);
    } finally {
      await first.close();
    }

    const second = await createTestApp('sqlite', { env: env() });
    try {
      expect(readFileSync(file, 'utf8').trim()).toBe(secret);
      expect((await createWith(second, bearer(earlyToken))).status).toBe(201);
    } finally {
      await second.close();
    }
  });

  it('should accept a token printed by `npm run -s token`', async () => {
    const result = spawnSync(
      'npm',
      ['run', '-s', 'token', '--', '--sub', 'carol', '--permissions', 'create image'],
      {
        cwd: join(__dirname, '..'),
        env: {
          ...process.env,
          JWT_SECRET: '',
          JWT_PUBLIC_KEY: '',
          JWT_JWKS_URI: '',
          DATA_DIR: dataDir,
        },
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const testApp = await createTestApp('sqlite', { env: env() });
    try {
      expect((await createWith(testApp, bearer(result.stdout.trim()))).status).toBe(201);
      const update = await testApp
        .http()
        .patch('/api/image/1')
        .set('Authorization', bearer(result.stdout.trim()))
        .send({ path: 'x.jpg' });
      expect(update.status).toBe(403);
    } finally {
      await testApp.close();
    }
  });
});
