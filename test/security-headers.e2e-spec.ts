import { Permission } from '../src/auth/permissions';
import { countRows } from './helpers/image-rows';
import { describeEachDatabase } from './helpers/test-app';
import { bearer, tokenWith } from './helpers/tokens';

/**
 * Security headers (`@fastify/helmet`) and CORS (`@fastify/cors`), API.md section 10 (issue 19,
 * finding 7: there were none, and a preflight got 404).
 */

const APP_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://elsewhere.example';
const EXPOSED =
  'ETag, Idempotent-Replayed, Location, Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset';

/** Swagger UI's policy (`/docs` and its files). */
const DOCS_CSP =
  "default-src 'self';base-uri 'self';connect-src 'self';font-src 'self' data:;form-action 'self';" +
  "frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';" +
  "script-src-attr 'none';style-src 'self' 'unsafe-inline'";
/** Every other answer's: JSON or a stored image, never run as a page. */
const API_CSP = "default-src 'none';frame-ancestors 'none';style-src 'unsafe-inline'";
/** helmet's headers that only govern documents: sent with Swagger UI only. */
const PAGE_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
const EVERY_ANSWER = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-resource-policy': 'cross-origin',
};

describeEachDatabase(
  'security headers and CORS',
  (context) => {
    it.each(['/api/image', '/api/image/999999', '/health', '/docs-json', '/docsx', '/nothing'])(
      'should send the API’s security headers on GET %s, and none of those for pages',
      async (path) => {
        const response = await context().http().get(path);
        expect(response.headers).toMatchObject({
          ...EVERY_ANSWER,
          'content-security-policy': API_CSP,
        });
        expect(Object.keys(response.headers).filter((name) => name in PAGE_HEADERS)).toEqual([]);
        expect(response.headers['request-id']).toBeDefined();
      },
    );

    it.each(['/docs', '/docs/', '/docs?x=1', '/docs/swagger-ui.css', '/docs/nothing.js'])(
      'should send Swagger UI’s security headers on GET %s',
      async (path) => {
        const response = await context().http().get(path);
        expect(response.headers).toMatchObject({
          ...EVERY_ANSWER,
          ...PAGE_HEADERS,
          'content-security-policy': DOCS_CSP,
        });
        expect(response.headers['request-id']).toBeDefined();
      },
    );

    it('should send them on errors too (401, 415, 400)', async () => {
      for (const response of [
        await context().http().post('/api/image').send({}),
        await context()
          .http()
          .post('/api/image')
          .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
          .set('Content-Type', 'text/plain')
          .send('x'),
        await context()
          .http()
          .post('/api/image')
          .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
          .set('Content-Type', 'application/json')
          .send('{'),
      ]) {
        expect([response.status, response.headers['x-content-type-options']]).toEqual([
          expect.any(Number),
          'nosniff',
        ]);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.headers['content-security-policy']).toBe(API_CSP);
      }
    });

    it('should let any origin read, and expose the headers a client needs', async () => {
      const response = await context()
        .http()
        .get('/api/image')
        .set('Origin', OTHER_ORIGIN)
        .expect(200);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['access-control-expose-headers']).toBe(EXPOSED);
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('should send no CORS headers but Vary: Origin to a request without Origin', async () => {
      for (const response of [
        await context().http().get('/api/image').expect(200),
        await context().http().get('/nothing').expect(404),
        await context()
          .http()
          .post('/api/image')
          .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
          .send({ path: 'cors/none.jpg', facet: 'Cover' })
          .expect(201),
      ]) {
        expect(
          Object.keys(response.headers).filter((name) => name.startsWith('access-control-')),
        ).toEqual([]);
        expect(response.headers.vary).toBe('Origin');
      }
    });

    it('should answer a read preflight from any origin with 204', async () => {
      const response = await context()
        .http()
        .options('/api/image?page[size]=5')
        .set('Origin', OTHER_ORIGIN)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization, if-none-match')
        .expect(204);
      expect(response.text).toBe('');
      expect(response.headers).toMatchObject({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'Authorization, If-None-Match, X-Request-Id',
        'access-control-max-age': '600',
      });
    });

    it('should allow writes from a CORS_ORIGINS origin: preflight 204 echoing it, then the write', async () => {
      const preflight = await context()
        .http()
        .options('/api/image')
        .set('Origin', APP_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key')
        .expect(204);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': APP_ORIGIN,
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers':
          'Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id',
        vary: expect.stringContaining('Origin'),
      });

      const created = await context()
        .http()
        .post('/api/image')
        .set('Origin', APP_ORIGIN)
        .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
        .send({ path: 'cors/app.jpg', facet: 'Cover' })
        .expect(201);
      expect(created.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(created.headers['access-control-expose-headers']).toBe(EXPOSED);
    });

    it('should not allow writes from another origin: the preflight carries no allow-origin', async () => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const preflight = await context()
          .http()
          .options('/api/image/1')
          .set('Origin', OTHER_ORIGIN)
          .set('Access-Control-Request-Method', method)
          .expect(204);
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      }
      const before = await countRows(context().dataSource, 'images');
      const write = await context()
        .http()
        .post('/api/image')
        .set('Origin', OTHER_ORIGIN)
        .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
        .send({ path: 'cors/other.jpg', facet: 'Cover' });
      // A browser keeps this answer from the page (no allow-origin); the token still decides.
      expect(write.headers['access-control-allow-origin']).toBeUndefined();
      expect(await countRows(context().dataSource, 'images')).toBe(before + 1);
    });

    it('should answer an OPTIONS request that is no preflight as an unknown route', async () => {
      const response = await context().http().options('/api/image').expect(404);
      expect(response.body).toEqual({ message: 'Not Found.' });
      const noMethod = await context()
        .http()
        .options('/api/image')
        .set('Origin', APP_ORIGIN)
        .expect(404);
      expect(noMethod.body).toEqual({ message: 'Not Found.' });
    });
  },
  { env: { CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173` } },
);

describeEachDatabase('CORS without CORS_ORIGINS', (context) => {
  it('should allow writes from no origin at all, and reads from any', async () => {
    const preflight = await context()
      .http()
      .options('/api/image')
      .set('Origin', APP_ORIGIN)
      .set('Access-Control-Request-Method', 'DELETE')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await context().http().get('/api/image').set('Origin', APP_ORIGIN).expect(200);
    expect(read.headers['access-control-allow-origin']).toBe('*');
  });
});
