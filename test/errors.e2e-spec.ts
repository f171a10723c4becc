import { listenOnFreePort } from './helpers/ports';
import { rawHttp } from './helpers/raw-http';
import { describeEachDatabase } from './helpers/test-app';

describeEachDatabase('errors and request ids', (context) => {
  it('should answer an unknown route with 404 and the contract body', async () => {
    const response = await context().http().get('/api/nothing-here').expect(404);
    expect(response.body).toEqual({ message: 'Not Found.' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });

  // Found by a probe: a 404 without Cache-Control may be kept by a shared cache (RFC 9111
  // §4.2.2), which then answered 404 for an image created since.
  it.each([
    ['a missing image', 'get', '/api/image/999999', 404],
    ['a bad query', 'get', '/api/image?page[size]=0', 422],
    ['an unknown route', 'get', '/api/nothing-here', 404],
    ['a write without a token', 'post', '/api/image', 401],
    ['a missing pivot link', 'get', '/api/animeimage/nothing/1', 404],
  ] as const)(
    'should answer %s with Cache-Control: no-store',
    async (_what, method, path, status) => {
      const response = await context().http()[method](path).expect(status);
      expect(response.headers['cache-control']).toBe('no-store');
    },
  );

  it('should answer a request the HTTP layer refuses with Cache-Control: no-store', async () => {
    const port = await listenOnFreePort(context().app);
    const malformedUrl = await rawHttp(port, 'GET /api/image/%ZZ HTTP/1.1\r\nHost: a\r\n\r\n');
    expect([malformedUrl.status, malformedUrl.headers['cache-control']]).toEqual([400, 'no-store']);
    const malformedRequest = await rawHttp(port, 'GET / HTTP/9.9\r\nHost: a\r\n\r\n');
    expect([malformedRequest.status, malformedRequest.headers['cache-control']]).toEqual([
      400,
      'no-store',
    ]);
  });

  it('should put a Request-Id header on every response', async () => {
    const response = await context().http().get('/health').expect(200);
    expect(response.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("should echo the caller's X-Request-Id", async () => {
    const response = await context()
      .http()
      .get('/health')
      .set('X-Request-Id', 'trace-abc-123')
      .expect(200);
    expect(response.headers['request-id']).toBe('trace-abc-123');
  });

  it.each(['trace#1', 'a~b', 'abc,def', 'a%0b', 'x'.repeat(128)])(
    'should echo the X-Request-Id %s (visible ASCII without markup)',
    async (id) => {
      const response = await context().http().get('/health').set('X-Request-Id', id).expect(200);
      expect(response.headers['request-id']).toBe(id);
    },
  );

  it.each(['a b<c>', 'req 1', '<script>', '"quoted"', "it's", 'back\\slash', 'x'.repeat(129)])(
    'should replace the X-Request-Id %s with a new UUID',
    async (id) => {
      const response = await context().http().get('/health').set('X-Request-Id', id).expect(200);
      expect(response.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});

describeEachDatabase('health', (context) => {
  it('should answer GET /health without the database', async () => {
    const response = await context().http().get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('should answer GET /health/ready when the database answers', async () => {
    const response = await context().http().get('/health/ready').expect(200);
    expect(response.body).toEqual({
      status: 'ok',
      info: { database: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' } },
      broker: { status: 'disabled' },
      outbox: { backlog: 0, oldest_event_age_seconds: 0 },
    });
  });
});
