import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { FastifyInstance } from 'fastify';
import { headersOf } from './testing/raw-headers';
import { helmetHeaders } from './helmet-headers';
import { API_HELMET_OPTIONS, DOCS_HELMET_OPTIONS } from './security-headers';

/** The same routes, with the plugin or with the precomputed headers. */
async function serverWith(
  headers: 'plugin' | 'precomputed',
  options: FastifyHelmetOptions,
): Promise<FastifyInstance> {
  const server = Fastify();
  if (headers === 'plugin') {
    await server.register(fastifyHelmet, options);
  } else {
    const setHelmetHeaders = await helmetHeaders(options);
    server.addHook('onRequest', (_request, reply, done) => {
      setHelmetHeaders(reply);
      done();
    });
  }
  server.get('/json', () => ({ data: [1, 2, 3] }));
  server.get('/html', (_request, reply) => reply.type('text/html').send('<p>docs</p>'));
  server.get('/powered', (_request, reply) => reply.header('X-Powered-By', 'x').send('x'));
  server.get('/fails', () => {
    throw new Error('boom');
  });
  server.post('/body', (request) => request.body);
  return server;
}

describe.each([
  ['the API', API_HELMET_OPTIONS, 7],
  ['Swagger UI', DOCS_HELMET_OPTIONS, 13],
] as const)('helmetHeaders, with the options of %s', (_name, options, calls) => {
  let plugin: FastifyInstance;
  let precomputed: FastifyInstance;

  beforeAll(async () => {
    [plugin, precomputed] = await Promise.all([
      serverWith('plugin', options),
      serverWith('precomputed', options),
    ]);
  });

  afterAll(() => Promise.all([plugin.close(), precomputed.close()]));

  it.each([
    ['GET', '/json', undefined],
    ['HEAD', '/json', undefined],
    ['GET', '/html', undefined],
    ['GET', '/powered', undefined],
    ['GET', '/fails', undefined],
    ['GET', '/nothing', undefined],
    ['POST', '/body', '{"a":1}'],
    ['POST', '/body', '{'],
    ['OPTIONS', '/json', undefined],
  ] as const)('should answer %s %s as @fastify/helmet does', async (method, url, body) => {
    const request = {
      method,
      url,
      ...(body === undefined
        ? {}
        : { payload: body, headers: { 'content-type': 'application/json' } }),
    };
    const [expected, actual] = await Promise.all([
      plugin.inject(request),
      precomputed.inject(request),
    ]);
    // In the same order; the names in lower case, as Fastify sends its own (HTTP ignores case).
    const lowerCase = (headers: [string, unknown][]) =>
      headers.map(([name, value]) => [name.toLowerCase(), value]);
    expect([actual.statusCode, headersOf(actual), actual.body]).toEqual([
      expected.statusCode,
      lowerCase(headersOf(expected)),
      expected.body,
    ]);
    expect(actual.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(actual.rawPayload.length).toBe(expected.rawPayload.length);
  });

  it('should hand Fastify names already in lower case, which it then keeps as they are', async () => {
    const setHelmetHeaders = await helmetHeaders(options);
    const names: string[] = [];
    const reply = {
      header: (name: string) => names.push(name),
      raw: { removeHeader: (name: string) => names.push(name) },
    };
    setHelmetHeaders(reply as unknown as Parameters<typeof setHelmetHeaders>[0]);
    expect(names).toContain('content-security-policy');
    expect(names).toHaveLength(calls);
    expect(names.filter((name) => name !== name.toLowerCase())).toEqual([]);
  });
});

describe('helmetHeaders', () => {
  it('should refuse options whose headers differ per request', async () => {
    await expect(helmetHeaders({ enableCSPNonces: true })).rejects.toThrow('differ per request');
    await expect(
      helmetHeaders({
        contentSecurityPolicy: { directives: { scriptSrc: ["'self'", () => "'nonce-x'"] } },
      }),
    ).rejects.toThrow('differ per request');
  });
});
