import { describeEachDatabase } from './helpers/test-app';

describeEachDatabase('errors and request ids', (context) => {
  it('should answer an unknown route with 404 and the contract body', async () => {
    const response = await context().http().get('/api/nothing-here').expect(404);
    expect(response.body).toEqual({ message: 'Not Found.' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
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
