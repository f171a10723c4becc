import fastifyCors from '@fastify/cors';
import Fastify, { FastifyInstance, InjectOptions } from 'fastify';
import { headersOf } from './testing/raw-headers';
import { corsHook } from './cors';
import { corsOptionsFor } from './security-headers';

const LISTED = 'https://app.example.com';
const OTHER = 'https://elsewhere.example';
const WRITE_ORIGINS = [LISTED];

/** The same routes, with the plugin registered as usual or run through `corsHook`. */
async function serverWith(cors: 'plugin' | 'hook'): Promise<FastifyInstance> {
  const server = Fastify();
  if (cors === 'plugin') {
    server.addHook('onRequest', (request, reply, done) => {
      void reply.header('Request-Id', request.id);
      done();
    });
    await server.register(fastifyCors, { delegator: corsOptionsFor(WRITE_ORIGINS) });
  } else {
    const hook = await corsHook(server, WRITE_ORIGINS);
    server.addHook('onRequest', function (request, reply, done) {
      void reply.header('Request-Id', request.id);
      hook.call(this, request, reply, done);
    });
  }
  server.get('/image', () => ({ data: [1, 2, 3] }));
  server.post('/image', (_request, reply) => reply.code(201).send({ id: 1 }));
  server.delete('/image', (_request, reply) => reply.code(204).send());
  server.get('/fails', () => {
    throw new Error('boom');
  });
  return server;
}

const PREFLIGHT = { 'access-control-request-headers': 'authorization, content-type' };

describe('corsHook', () => {
  let plugin: FastifyInstance;
  let hook: FastifyInstance;

  beforeAll(async () => {
    [plugin, hook] = await Promise.all([serverWith('plugin'), serverWith('hook')]);
  });

  afterAll(() => Promise.all([plugin.close(), hook.close()]));

  const cases: [string, string, Record<string, string>][] = [];
  for (const origin of [undefined, LISTED, OTHER]) {
    const from: Record<string, string> = origin === undefined ? {} : { origin };
    for (const [method, url] of [
      ['GET', '/image'],
      ['HEAD', '/image'],
      ['POST', '/image'],
      ['DELETE', '/image'],
      ['GET', '/fails'],
      ['GET', '/nothing'],
      ['OPTIONS', '/image'],
      ['OPTIONS', '/nothing'],
    ]) {
      cases.push([method, url, from]);
    }
    for (const asked of ['GET', 'post', 'DELETE']) {
      cases.push(['OPTIONS', '/image', { ...from, 'access-control-request-method': asked }]);
      cases.push([
        'OPTIONS',
        '/nothing',
        { ...from, ...PREFLIGHT, 'access-control-request-method': asked },
      ]);
    }
  }

  it.each(cases)(
    'should answer %s %s with headers %j as the plugin does',
    async (method, url, headers) => {
      const request = {
        method: method as InjectOptions['method'],
        url,
        headers,
      };
      const [expected, actual] = await Promise.all([plugin.inject(request), hook.inject(request)]);
      expect([actual.statusCode, headersOf(actual), actual.body]).toEqual([
        expected.statusCode,
        headersOf(expected),
        expected.body,
      ]);
      expect(actual.headers.vary).toBe('Origin');
    },
  );
});
