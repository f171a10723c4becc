import { Permission } from '../src/auth/permissions';
import { deleteStream, uniqueNatsNames } from './helpers/messaging';
import { NatsProxy } from './helpers/nats-proxy';
import { createTestApp, describeEachDatabase, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { bearer, tokenWith } from './helpers/tokens';
import { waitFor } from './helpers/wait-for';

/**
 * `GET /metrics` (Prometheus text format) and the readiness body (API.md section 10): each test
 * app has a registry of its own, so the counts are exactly those of the requests made here.
 */

/** The samples of a scrape whose name starts with `prefix`, as `name{labels} value` lines. */
function samples(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

/** The value of one sample (`name{labels}` exactly as written), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeEachDatabase('GET /metrics', (context) => {
  const scrape = async () => {
    const response = await context().http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.text;
  };

  it('should count the request just made, by route pattern and status, with its latency', async () => {
    await context().http().get('/api/image/424242?include=anime').expect(404);
    await context().http().get('/api/image').expect(200);
    await context().http().get('/api/image').expect(200);
    await context().http().get('/no/such/route/123').expect(404);
    const text = await scrape();
    expect(samples(text, 'http_requests_total{').sort()).toEqual(
      [
        'http_requests_total{method="GET",route="/api/image/:id",status="404"} 1',
        'http_requests_total{method="GET",route="/api/image",status="200"} 2',
        'http_requests_total{method="GET",route="unmatched",status="404"} 1',
      ].sort(),
    );
    const series = 'method="GET",route="/api/image",status="200"';
    expect(sample(text, `http_request_duration_seconds_count{${series}}`)).toBe(2);
    expect(sample(text, `http_request_duration_seconds_bucket{le="+Inf",${series}}`)).toBe(2);
    expect(sample(text, `http_request_duration_seconds_sum{${series}}`)).toBeGreaterThan(0);
    // The scrape itself is counted once it is answered: the next scrape shows it.
    expect(
      sample(await scrape(), 'http_requests_total{method="GET",route="/metrics",status="200"}'),
    ).toBe(1);
  });

  it('should show the database pool, the statement timeouts and Node process metrics', async () => {
    const text = await scrape();
    const mysql = context().database.kind === 'mysql';
    expect(sample(text, 'db_pool_max_connections')).toBe(mysql ? 5 : 1);
    if (mysql) {
      const inUse = sample(text, 'db_pool_connections{state="in_use"}');
      const idle = sample(text, 'db_pool_connections{state="idle"}');
      expect(inUse).toBeGreaterThanOrEqual(0);
      expect(idle).toBeGreaterThanOrEqual(0);
      expect(inUse! + idle!).toBeLessThanOrEqual(5);
    } else {
      expect(samples(text, 'db_pool_connections{')).toEqual([]);
    }
    expect(sample(text, 'db_statement_timeouts_total')).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // No NATS_URL: no broker gauge at all.
    expect(samples(text, 'event_broker_up')).toEqual([]);
    // prom-client's default registry is served too (the rate limiter's Redis failures).
    expect(sample(text, 'image_api_rate_limit_store_failures_total')).toBeGreaterThanOrEqual(0);
  });

  it('should show the outbox backlog and its oldest event, in /metrics and /health/ready', async () => {
    const before = await scrape();
    expect(sample(before, 'outbox_backlog')).toBe(0);
    expect(sample(before, 'outbox_oldest_event_age_seconds')).toBe(0);
    await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .send({ path: 'metrics/outbox.jpg', facet: 'Cover' })
      .expect(201);
    // No broker configured: the event waits in the outbox.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await scrape();
    expect(sample(after, 'outbox_backlog')).toBe(1);
    expect(sample(after, 'outbox_oldest_event_age_seconds')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'outbox_oldest_event_age_seconds')).toBeLessThan(30);
    expect(sample(after, 'outbox_events_published_total')).toBe(0);

    const ready = await context().http().get('/health/ready').expect(200);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(ready.body).toEqual({
      status: 'ok',
      info: { database: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' } },
      broker: { status: 'disabled' },
      outbox: { backlog: 1, oldest_event_age_seconds: expect.any(Number) },
    });
    expect(ready.body.outbox.oldest_event_age_seconds).toBeGreaterThanOrEqual(1);
  });

  it('should live outside API_PREFIX and outside the OpenAPI document', async () => {
    await context().http().get('/api/metrics').expect(404);
    const document = await context().http().get('/docs-json').expect(200);
    expect(Object.keys(document.body.paths as object)).not.toContain('/metrics');
  });
});

describe.each(testDatabaseKinds())('metrics and readiness with the event broker [%s]', (kind) => {
  const { subjectPrefix, stream } = uniqueNatsNames();
  const proxy = new NatsProxy();
  let testApp: TestApp;

  beforeAll(async () => {
    await proxy.start();
    testApp = await createTestApp(kind, {
      env: {
        NATS_URL: proxy.url,
        NATS_SUBJECT_PREFIX: subjectPrefix,
        NATS_EVENTS_STREAM: stream,
        OUTBOX_RETRY_MAX_MS: '200',
        OUTBOX_POLL_INTERVAL_MS: '100',
      },
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await proxy.stop();
    await deleteStream(stream);
  });

  const scrape = async () => (await testApp.http().get('/metrics').expect(200)).text;
  const create = (path: string) =>
    testApp
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .send({ path, facet: 'Cover' })
      .expect(201);

  it('should count the events published and say the broker is up', async () => {
    await create('metrics/published-1.jpg');
    await create('metrics/published-2.jpg');
    await waitFor(
      'two events published',
      async () => sample(await scrape(), 'outbox_events_published_total') === 2,
    );
    const text = await scrape();
    expect(sample(text, 'event_broker_up')).toBe(1);
    expect(sample(text, 'outbox_backlog')).toBe(0);
    const ready = await testApp.http().get('/health/ready').expect(200);
    expect(ready.body.broker).toEqual({ status: 'up' });
    expect(ready.body.outbox).toEqual({ backlog: 0, oldest_event_age_seconds: 0 });
  });

  it('should stay ready while the broker is away, reporting it down and the backlog growing', async () => {
    await proxy.stop();
    await create('metrics/while-away.jpg');
    await waitFor('the broker to be reported down', async () => {
      const ready = await testApp.http().get('/health/ready');
      return ready.status === 200 && ready.body.broker.status === 'down';
    });
    const ready = await testApp.http().get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.outbox.backlog).toBe(1);
    const text = await scrape();
    expect(sample(text, 'event_broker_up')).toBe(0);
    expect(sample(text, 'outbox_backlog')).toBe(1);

    await proxy.start();
    await waitFor('the backlog to drain', async () => {
      const current = await scrape();
      return sample(current, 'outbox_backlog') === 0 && sample(current, 'event_broker_up') === 1;
    });
    expect(sample(await scrape(), 'outbox_events_published_total')).toBe(3);
  });

  // Found by a probe: a frozen broker was reported up the whole time, since each retry's
  // readiness check (the client still believed its connection alive) said up again.
  it('should report a silent broker down until it answers again', async () => {
    proxy.freeze();
    try {
      await create('metrics/while-frozen.jpg');
      const written = Date.now();
      await waitFor(
        'the broker to be reported down',
        async () => sample(await scrape(), 'event_broker_up') === 0,
        15_000,
      );
      // From the first publish that timed out, about 5 s (operations.md); it was 10 s, the
      // stream's check after the timeout waiting for JetStream's own time limit (found by a probe).
      expect(Date.now() - written).toBeLessThan(8000);
      // The relay tries again every 200 ms meanwhile: the broker stays down.
      for (let check = 0; check < 10; check += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const ready = await testApp.http().get('/health/ready').expect(200);
        expect([ready.body.broker, ready.body.outbox.backlog]).toEqual([{ status: 'down' }, 1]);
      }
    } finally {
      proxy.thaw();
    }
    await waitFor('the backlog to drain', async () => {
      const current = await scrape();
      return sample(current, 'outbox_backlog') === 0 && sample(current, 'event_broker_up') === 1;
    });
  });
});
