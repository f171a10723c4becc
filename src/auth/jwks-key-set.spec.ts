import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fetchJwks,
  JWKS_COOLDOWN_MS,
  JWKS_FAILURE_BACKOFF_MS,
  JWKS_MAX_AGE_MS,
  JwksKeySet,
} from './jwks-key-set';

/** A key server that counts its fetches and serves whatever `keys` holds then. */
function keyServer(initial: Record<string, string>) {
  const state = { keys: initial, fetches: 0, down: false };
  const client = {
    getSigningKeys: () => {
      state.fetches += 1;
      if (state.down) return Promise.reject(new Error('connect ECONNREFUSED'));
      return Promise.resolve(
        Object.entries(state.keys).map(([kid, pem]) => ({
          kid,
          alg: 'RS256',
          getPublicKey: () => pem,
          rsaPublicKey: pem,
        })),
      );
    },
  };
  return { state, client: client as never };
}

describe('JwksKeySet', () => {
  // Found by a probe: the map kept the last of two keys that shared a kid (or had none), so one
  // of two keys verified and the other did not, by the order of the set.
  it('should name no key by a kid two keys share, nor by no kid when the set has two', async () => {
    const client = {
      getSigningKeys: () =>
        Promise.resolve(
          [
            ['twin', 'PEM-1'],
            ['twin', 'PEM-2'],
            ['solo', 'PEM-3'],
          ].map(([kid, pem]) => ({ kid, getPublicKey: () => pem })),
        ),
    };
    const keys = new JwksKeySet(client as never, () => 1_000_000);
    expect(await keys.keyFor('twin')).toBeUndefined();
    expect(await keys.keyFor('solo')).toBe('PEM-3');
    expect(await keys.keyFor(undefined)).toBeUndefined();
    const unnamed = {
      getSigningKeys: () =>
        Promise.resolve(
          ['PEM-1', 'PEM-2'].map((pem) => ({ kid: undefined, getPublicKey: () => pem })),
        ),
    };
    expect(await new JwksKeySet(unnamed as never, () => 1).keyFor(undefined)).toBeUndefined();
  });

  let time: number;
  const now = () => time;

  beforeEach(() => {
    time = 1_000_000;
  });

  it('should fetch the set once and know every key of it', async () => {
    const server = keyServer({ a: 'PEM-A', b: 'PEM-B' });
    const keys = new JwksKeySet(server.client, now);
    expect(await keys.keyFor('a')).toBe('PEM-A');
    expect(await keys.keyFor('b')).toBe('PEM-B');
    expect(await Promise.all([keys.keyFor('a'), keys.keyFor('b')])).toEqual(['PEM-A', 'PEM-B']);
    expect(server.state.fetches).toBe(1);
  });

  it('should fetch for unknown key ids at most once per cooldown, still knowing the valid ones', async () => {
    const server = keyServer({ a: 'PEM-A' });
    const keys = new JwksKeySet(server.client, now);
    expect(await keys.keyFor('a')).toBe('PEM-A');
    for (let index = 0; index < 100; index += 1) {
      expect(await keys.keyFor(`made-up-${index}`)).toBeUndefined();
      time += 100;
    }
    // 10 s passed: still within the cooldown.
    expect(server.state.fetches).toBe(1);
    expect(await keys.keyFor('a')).toBe('PEM-A');
    // A key added at the server is found once the cooldown is over.
    server.state.keys = { a: 'PEM-A', c: 'PEM-C' };
    expect(await keys.keyFor('c')).toBeUndefined();
    time += JWKS_COOLDOWN_MS;
    expect(await keys.keyFor('c')).toBe('PEM-C');
    expect(server.state.fetches).toBe(2);
  });

  it('should fetch again once the set is older than its maximum age, dropping keys gone', async () => {
    const server = keyServer({ a: 'PEM-A' });
    const keys = new JwksKeySet(server.client, now);
    expect(await keys.keyFor('a')).toBe('PEM-A');
    server.state.keys = { b: 'PEM-B' };
    time += JWKS_MAX_AGE_MS - 1;
    expect(await keys.keyFor('a')).toBe('PEM-A');
    time += 1;
    expect(await keys.keyFor('a')).toBeUndefined();
    expect(server.state.fetches).toBe(2);
  });

  it('should give a token without kid the only key, and none when there are several', async () => {
    expect(await new JwksKeySet(keyServer({ a: 'PEM-A' }).client, now).keyFor(undefined)).toBe(
      'PEM-A',
    );
    const two = new JwksKeySet(keyServer({ a: 'PEM-A', b: 'PEM-B' }).client, now);
    expect(await two.keyFor(undefined)).toBeUndefined();
  });

  it('should reject while the endpoint is down, asking it again only after a back-off', async () => {
    const server = keyServer({ a: 'PEM-A' });
    server.state.down = true;
    const keys = new JwksKeySet(server.client, now);
    await expect(keys.keyFor('a')).rejects.toThrow('ECONNREFUSED');
    await expect(keys.keyFor('a')).rejects.toThrow('ECONNREFUSED');
    expect(server.state.fetches).toBe(1);
    server.state.down = false;
    time += JWKS_FAILURE_BACKOFF_MS;
    expect(await keys.keyFor('a')).toBe('PEM-A');
    expect(server.state.fetches).toBe(2);
  });
});

describe('fetchJwks', () => {
  /** An HTTP server answering every request with `status`, `headers` and `body`. */
  async function serving(
    status: number,
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer((_request, response) => {
      response.writeHead(status, headers).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/jwks`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  const jwk = { kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' };

  // Found by a probe: a null entry made jwks-rsa throw, and every key of the set was lost (503);
  // other shapes were logged with JavaScript's own errors ("jwks.filter is not a function").
  it.each<[string, string, { keys: unknown[] } | string]>([
    [
      'a null and other non-objects beside a key',
      JSON.stringify({ keys: [jwk, null, 'x', 1, [jwk]] }),
      { keys: [jwk] },
    ],
    [
      'keys that are no array',
      JSON.stringify({ keys: 'abc' }),
      'the JWKS endpoint answered JSON that is no object with a "keys" array',
    ],
    ['null', 'null', 'the JWKS endpoint answered JSON that is no object with a "keys" array'],
    [
      'an array',
      JSON.stringify([jwk]),
      'the JWKS endpoint answered JSON that is no object with a "keys" array',
    ],
    ['no JSON', '{"keys":', 'the JWKS endpoint answered with no JSON'],
  ])('should read %s', async (_what, body, expected) => {
    const endpoint = await serving(200, body);
    try {
      if (typeof expected === 'string') {
        await expect(fetchJwks(endpoint.url)).rejects.toThrow(new Error(expected));
      } else {
        await expect(fetchJwks(endpoint.url)).resolves.toEqual(expected);
      }
    } finally {
      await endpoint.close();
    }
  });

  it('should say why a redirect is not followed, not only "fetch failed"', async () => {
    const endpoint = await serving(302, '', { location: 'http://127.0.0.1:1/jwks' });
    try {
      await expect(fetchJwks(endpoint.url)).rejects.toThrow(
        /^the JWKS endpoint could not be read: .*redirect/,
      );
    } finally {
      await endpoint.close();
    }
  });
});
