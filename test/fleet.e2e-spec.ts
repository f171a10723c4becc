import { connect, JetStreamManager, NatsConnection, nanos, StringCodec } from 'nats';
import type { RowDataPacket } from 'mysql2/promise';
import { openDataSource } from '../src/database/data-source';
import { runMigrationsOnce } from '../src/database/migration-lock';
import { MIGRATIONS } from '../src/database/migrations';
import { EVENTS_DUPLICATE_WINDOW_MS } from '../src/events/jetstream-event.publisher';
import { ReplicatedMariaDb } from './helpers/mariadb-replication';
import { deleteStream, TEST_NATS_URL, uniqueNatsNames } from './helpers/messaging';
import { stablePort } from './helpers/ports';
import { deleteKeys, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis-server';
import { ServiceProcess } from './helpers/service-process';
import { TEST_CURSOR_SECRET, TEST_JWT_SECRET } from './helpers/test-app';
import { bearer, signTestToken } from './helpers/tokens';

/**
 * More than one instance (API.md section 11), on real engines: a MariaDB primary and a replica of
 * its own joined by binlog replication, the machine's Redis (a key prefix of this file's own) and
 * NATS JetStream (a stream of its own), and two service processes, A and B, as a load balancer
 * would see them.
 */
const DATABASE = 'image_api_fleet';
const RATE_LIMIT = 5;
/** DB_REPLICA_MAX_LAG_MS: with it the replica's lag is measured every 750 ms. */
const MAX_LAG_MS = 3000;
/** What a load balancer in front of A and B would set, so both render the same links. */
const PUBLIC_URL = 'http://images.test';

const codec = StringCodec();
const { subjectPrefix, stream } = uniqueNatsNames();
const redisPrefix = uniqueRedisPrefix();

let database: ReplicatedMariaDb;
let a: ServiceProcess;
let b: ServiceProcess;
let nats: NatsConnection;
let jetStream: JetStreamManager;
let subjects = 0;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { image?: { image_id: number; path: string } };
}

/**
 * One request with a token of its own `sub` (the rate limit is per client: a fresh sub has its
 * own budget of RATE_LIMIT unless the test means to share one).
 */
async function call(
  instance: ServiceProcess,
  method: string,
  path: string,
  options: { sub?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const sub = options.sub ?? `client-${(subjects += 1)}`;
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers: {
      Authorization: bearer(signTestToken({ sub })),
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Answer['body']),
  };
}

/** The same address on another instance (links carry PUBLIC_URL). */
const on = (instance: ServiceProcess, link: string): string =>
  link.replace(PUBLIC_URL, '').replace(instance.url, '');

async function primaryRows<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  return (await database.primary.query<RowDataPacket>(
    sql.replace(/\bFROM (\w+)/g, `FROM \`${DATABASE}\`.$1`),
    values,
  )) as T[];
}

const pendingEvents = async (): Promise<number> =>
  Number(
    (
      await primaryRows<{ pending: number }>(
        'SELECT COUNT(*) AS pending FROM image_event_outbox WHERE published_at IS NULL',
      )
    )[0].pending,
  );

const outboxEventIds = async (): Promise<string[]> =>
  (await primaryRows<{ event_id: string }>('SELECT event_id FROM image_event_outbox')).map(
    (row) => row.event_id,
  );

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every message of the stream: its message id and its event's id and type. */
async function streamMessages(): Promise<{ messageId?: string; id: string; type: string }[]> {
  const { state } = await jetStream.streams.info(stream);
  const messages = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
    const stored = await jetStream.streams.getMessage(stream, { seq });
    const event = JSON.parse(codec.decode(stored.data)) as { id: string; type: string };
    messages.push({ messageId: stored.header?.get('Nats-Msg-Id'), id: event.id, type: event.type });
  }
  return messages;
}

/** A sample of an instance's `/metrics`, e.g. `db_reads_total{server="replica1"}`; 0 when absent. */
async function metric(instance: ServiceProcess, sample: string): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/** Which server answered an instance's read requests so far. */
async function readsOf(instance: ServiceProcess): Promise<{ primary: number; replica: number }> {
  return {
    primary: await metric(instance, 'db_reads_total{server="primary"}'),
    replica: await metric(instance, 'db_reads_total{server="replica1"}'),
  };
}

/** Until the instance reads from the replica (its lag measured within the bound). */
async function replicaInUse(instance: ServiceProcess): Promise<void> {
  await waitFor(
    `${instance.name} to read from the replica`,
    async () => (await metric(instance, 'db_replica_up{replica="replica1"}')) === 1,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work(0..count-1)` with at most `concurrency` at a time. */
async function inParallel(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

beforeAll(async () => {
  database = await ReplicatedMariaDb.start({
    primary: await stablePort(),
    replica: await stablePort(),
  });
  await database.createDatabase(DATABASE);
  const env = {
    DATABASE_URL: database.url('primary', DATABASE),
    DATABASE_REPLICA_URLS: database.url('replica', DATABASE),
    DB_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
    DB_POOL_SIZE: '5',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    NATS_URL: TEST_NATS_URL,
    NATS_SUBJECT_PREFIX: subjectPrefix,
    NATS_EVENTS_STREAM: stream,
    OUTBOX_POLL_INTERVAL_MS: '200',
    OUTBOX_RETRY_MAX_MS: '500',
    JWT_SECRET: TEST_JWT_SECRET,
    CURSOR_SECRET: TEST_CURSOR_SECRET,
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    PUBLIC_URL,
  };
  // Started together, on an empty database: the migrations run once (under a lock).
  a = new ServiceProcess('A', await stablePort(), env);
  b = new ServiceProcess('B', await stablePort(), env);
  await Promise.all([a.ready(), b.ready()]);
  nats = await connect({ servers: TEST_NATS_URL });
  jetStream = await nats.jetstreamManager();
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await nats?.close();
  await database?.close();
  await deleteStream(stream);
  await deleteKeys(redisPrefix);
}, 60_000);

describe('two instances on a replicated MariaDB, Redis and JetStream', () => {
  it('should have migrated the database once, with both instances started together', async () => {
    const migrations = await primaryRows<{ name: string }>('SELECT name FROM migrations');
    expect(migrations.length).toBeGreaterThan(0);
    expect(new Set(migrations.map((row) => row.name)).size).toBe(migrations.length);
    expect(a.output.stderr).toBe('');
    expect(b.output.stderr).toBe('');
  });

  it('should run the migrations once when two instances migrate at the same moment', async () => {
    // Without the lock the second runner fails: "Table 'migrations' already exists".
    const name = `${DATABASE}_migrations`;
    await database.createDatabase(name);
    const config = database.config('primary', name);
    const sources = await Promise.all([openDataSource(config), openDataSource(config)]);
    try {
      await Promise.all(sources.map((source) => runMigrationsOnce(source)));
      const rows = await database.primary.query<RowDataPacket>(
        `SELECT name FROM \`${name}\`.migrations ORDER BY id`,
      );
      expect(rows.map((row) => row.name as string)).toEqual(
        MIGRATIONS.map((migration) => migration.name),
      );
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
    }
  });

  it('should read through B, from the replica once it has caught up, what was written through A', async () => {
    await replicaInUse(b);
    const created = await call(a, 'POST', '/api/image', {
      body: { path: 'fleet/written-through-a.jpg', facet: 'Cover' },
    });
    expect(created.status).toBe(201);
    const id = created.body.image!.image_id;

    await database.caughtUp();
    const onReplica = await database.replica.query<RowDataPacket>(
      `SELECT image_id, path FROM \`${DATABASE}\`.images WHERE image_id = ?`,
      [id],
    );
    expect(onReplica).toEqual([{ image_id: id, path: 'fleet/written-through-a.jpg' }]);

    const before = await readsOf(b);
    const shown = await call(b, 'GET', `/api/image/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ image: created.body.image });
    expect(await readsOf(b)).toEqual({ primary: before.primary, replica: before.replica + 1 });
  });

  it('should move reads to the primary when the replica stops applying, never staler than the bound', async () => {
    await replicaInUse(b);
    await database.stopApplying();
    let id: number;
    try {
      const created = await call(a, 'POST', '/api/image', {
        body: { path: 'fleet/while-frozen.jpg', facet: 'Cover' },
      });
      const acknowledgedAt = performance.now();
      // The answer to a write comes from the primary.
      expect(created.status).toBe(201);
      expect(created.body.image).toEqual(
        expect.objectContaining({ path: 'fleet/while-frozen.jpg', facet: 'Cover' }),
      );
      id = created.body.image!.image_id;

      // B reads from the frozen replica (404) only while it is within the bound of the write.
      const staleAfterMs: number[] = [];
      let fresh: Answer | undefined;
      while (fresh === undefined && performance.now() - acknowledgedAt < MAX_LAG_MS + 15_000) {
        const sentAt = performance.now();
        const answer = await call(b, 'GET', `/api/image/${id}`);
        if (answer.status === 404) staleAfterMs.push(sentAt - acknowledgedAt);
        else fresh = answer;
        await sleep(50);
      }
      expect(fresh?.status).toBe(200);
      expect(fresh?.body).toEqual({ image: created.body.image });
      expect(staleAfterMs.length).toBeGreaterThan(0);
      for (const age of staleAfterMs) expect(age).toBeLessThanOrEqual(MAX_LAG_MS);
      expect(await metric(b, 'db_replica_up{replica="replica1"}')).toBe(0);

      // From now on B reads from the primary, up to date.
      const before = await readsOf(b);
      const again = await call(b, 'GET', `/api/image/${id}`);
      expect(again.body).toEqual({ image: created.body.image });
      expect(await readsOf(b)).toEqual({ primary: before.primary + 1, replica: before.replica });
    } finally {
      await database.resumeApplying();
    }

    // Caught up again, the replica serves B's reads again.
    await database.caughtUp();
    await replicaInUse(b);
    const before = await readsOf(b);
    expect((await call(b, 'GET', `/api/image/${id}`)).status).toBe(200);
    expect(await readsOf(b)).toEqual({ primary: before.primary, replica: before.replica + 1 });
  });

  it('should answer reads from the primary while the replica is down, and the replica again once it is back', async () => {
    await replicaInUse(b);
    const expected = await call(a, 'GET', '/api/image?sort=image_id&page[size]=3');
    await database.replica.kill();
    // The first read may still pick the replica: it fails over to the primary within the request.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await call(b, 'GET', '/api/image?sort=image_id&page[size]=3');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(expected.body);
    }
    await waitFor(
      'B to skip the replica',
      async () => (await metric(b, 'db_replica_up{replica="replica1"}')) === 0,
    );
    expect(b.output.stderr).toBe('');

    await database.replica.start();
    await database.caughtUp();
    await replicaInUse(b);
    const before = await readsOf(b);
    const answer = await call(b, 'GET', '/api/image?sort=image_id&page[size]=3');
    expect(answer.body).toEqual(expected.body);
    expect(await readsOf(b)).toEqual({ primary: before.primary, replica: before.replica + 1 });
  });

  it(`should hold a rate limit of ${RATE_LIMIT} per minute across A and B together`, async () => {
    const sub = 'one-client-two-instances';
    const remaining: (string | null)[] = [];
    for (const instance of [a, b, a, b, a]) {
      const answer = await call(instance, 'GET', '/api/image?page[size]=1', { sub });
      expect(answer.status).toBe(200);
      remaining.push(answer.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    for (const instance of [b, a]) {
      const refused = await call(instance, 'GET', '/api/image?page[size]=1', { sub });
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ message: 'Too Many Attempts.' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('should take a cursor and an ETag made by A on B', async () => {
    for (let index = 0; index < 4; index += 1) {
      const created = await call(index % 2 === 0 ? a : b, 'POST', '/api/image', {
        body: { path: `fleet/page-${index}.jpg`, facet: 'Grill' },
      });
      expect(created.status).toBe(201);
    }
    // Both read the replica once it has the four.
    await database.caughtUp();
    const query = '/api/image?filter[facet]=Grill&sort=-image_id&page[size]=2&page[cursor]=';
    const first = await call(a, 'GET', query);
    expect(first.status).toBe(200);
    const next = (first.body.links as { next: string }).next;
    expect(next.startsWith(`${PUBLIC_URL}/api/image?`)).toBe(true);

    const throughA = await call(a, 'GET', on(a, next));
    const throughB = await call(b, 'GET', on(b, next));
    expect(throughB.status).toBe(200);
    expect(throughB.body).toEqual(throughA.body);
    expect((throughB.body.images as unknown[]).length).toBe(2);

    const etag = throughA.headers.get('etag');
    expect(etag).toMatch(/^(W\/)?"/);
    const revalidated = await call(b, 'GET', on(b, next), { headers: { 'If-None-Match': etag! } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(etag);
  });

  it('should publish each of 100 writes spread over A and B exactly once (one relay at a time)', async () => {
    // No duplicate window: a second publish of an event would be stored as a second message, so
    // only the relay lock keeps them single here.
    await jetStream.streams.update(stream, { duplicate_window: nanos(100) });
    const before = new Set(await outboxEventIds());

    const ids: number[] = [];
    await inParallel(50, 8, async (index) => {
      const created = await call(index % 2 === 0 ? a : b, 'POST', '/api/image', {
        body: { path: `fleet/event-${index}.jpg`, facet: 'Cover' },
      });
      expect(created.status).toBe(201);
      ids[index] = created.body.image!.image_id;
    });
    await inParallel(50, 8, async (index) => {
      const updated = await call(index % 2 === 0 ? b : a, 'PATCH', `/api/image/${ids[index]}`, {
        body: { facet: 'Small Cover' },
      });
      expect(updated.status).toBe(200);
    });

    await waitFor('the outbox to drain', async () => (await pendingEvents()) === 0);
    const written = (await outboxEventIds()).filter((id) => !before.has(id));
    expect(written).toHaveLength(100);

    const messages = await streamMessages();
    const ofThisTest = messages.filter((message) => !before.has(message.id));
    expect(ofThisTest).toHaveLength(100);
    expect(ofThisTest.map((message) => message.id).sort()).toEqual([...written].sort());
    for (const message of messages) expect(message.messageId).toBe(message.id);
    expect(ofThisTest.filter((message) => message.type === 'image.created')).toHaveLength(50);
    expect(ofThisTest.filter((message) => message.type === 'image.updated')).toHaveLength(50);
    // And nothing else was ever stored twice.
    expect(new Set(messages.map((message) => message.id)).size).toBe(messages.length);
  });

  it('should lose no acknowledged write when A is killed mid-write, and B publish what A left', async () => {
    // The relays' stream as the service creates it: a handover may publish an event again.
    await jetStream.streams.update(stream, {
      duplicate_window: nanos(EVENTS_DUPLICATE_WINDOW_MS),
    });
    expect((await jetStream.streams.info(stream)).config.duplicate_window).toBe(
      nanos(EVENTS_DUPLICATE_WINDOW_MS),
    );
    const [{ last }] = await primaryRows<{ last: number | null }>(
      'SELECT MAX(image_id) AS last FROM images',
    );

    const acknowledged: { id: number; path: string }[] = [];
    let failed = 0;
    await inParallel(80, 6, async (index) => {
      const path = `fleet/killed-${index}.jpg`;
      try {
        const created = await call(a, 'POST', '/api/image', { body: { path, facet: 'Grill' } });
        if (created.status !== 201) throw new Error(`status ${created.status}`);
        acknowledged.push({ id: created.body.image!.image_id, path });
        if (acknowledged.length === 15) void a.kill('SIGKILL');
      } catch {
        failed += 1;
      }
    });
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(acknowledged.length).toBeGreaterThanOrEqual(15);
    expect(failed).toBeGreaterThan(0);

    // Every acknowledged write is there, through B (on the replica too).
    await database.caughtUp();
    for (const { id, path } of acknowledged) {
      const shown = await call(b, 'GET', `/api/image/${id}`);
      expect(shown.status).toBe(200);
      expect(shown.body.image).toEqual(expect.objectContaining({ image_id: id, path }));
    }
    // Whatever committed did so with its event (acknowledged or not), and B's relay publishes the
    // events A left, each once.
    const rows = await primaryRows<{ image_id: number }>(
      'SELECT image_id FROM images WHERE image_id > ?',
      [last ?? 0],
    );
    expect(rows.length).toBeGreaterThanOrEqual(acknowledged.length);
    const events = await primaryRows<{ image_id: number }>(
      "SELECT image_id FROM image_event_outbox WHERE event_type = 'image.created' AND image_id > ?",
      [last ?? 0],
    );
    expect(events.map((row) => row.image_id).sort()).toEqual(
      rows.map((row) => row.image_id).sort(),
    );
    await waitFor('B to publish what A left', async () => (await pendingEvents()) === 0);
    const messages = await streamMessages();
    expect(messages.map((message) => message.id).sort()).toEqual((await outboxEventIds()).sort());
  });
});
