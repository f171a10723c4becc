import { Logger } from '@nestjs/common';
import { bearer, signTestToken } from './helpers/tokens';
import { FaultProxy } from './helpers/fault-proxy';
import { createTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

/**
 * How an instance treats a replica that is down, silent or back (src/database/read-replicas.ts),
 * with the network faults of a proxy this file owns (on a free port) in front of the "replica". The
 * replica here is the test database itself seen through the proxy (lag 0): replication and lag
 * are proven in fleet.e2e-spec.ts; this file is about reachability. MariaDB/MySQL only.
 */
const MAX_LAG_MS = 1000;

/** A fresh MySQL test database, the proxy this file owns in front of it, and its credentials. */
async function databaseBehindProxy() {
  const database = await createTestDatabase('mysql');
  if (database.config.type !== 'mysql') throw new Error('a MySQL test database was expected');
  const { host, port, username, password } = database.config;
  const proxy = new FaultProxy(host, port);
  await proxy.start();
  const auth = password === '' ? username : `${username}:${password}`;
  return { database, config: database.config, proxy, auth };
}

/** The value of one sample of `/metrics` as written (undefined when absent). */
async function metricOf(app: TestApp, sample: string): Promise<string | undefined> {
  const { text } = await app.http().get('/metrics');
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line?.slice(sample.length + 1);
}

/** Waits (up to 20 s) until `condition` holds. */
async function waitUntil(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Replicas are MySQL/MariaDB only: the MariaDB leg (CI always runs it), as the fault suites.
describe('read replicas that fail [mysql]', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let app: TestApp;

  async function metric(sample: string): Promise<number> {
    return Number((await metricOf(app, sample)) ?? 0);
  }

  const reads = async () => ({
    primary: await metric('db_reads_total{server="primary"}'),
    replica: await metric('db_reads_total{server="replica1"}'),
  });

  const replicaUp = () => metric('db_replica_up{replica="replica1"}');

  let expected: unknown;
  const list = () => app.http().get('/api/image?sort=image_id&page[size]=2');

  beforeAll(async () => {
    const behind = await databaseBehindProxy();
    ({ database, proxy } = behind);
    const { auth, config } = behind;
    // Down when the instance starts.
    await proxy.cut();
    app = await createTestApp('mysql', {
      database,
      env: {
        // Replicas need a MySQL primary in the configuration (the app then uses `database`).
        DATABASE_URL: process.env.TEST_MYSQL_URL,
        DATABASE_REPLICA_URLS: `mysql://${auth}@127.0.0.1:${proxy.port}/${config.database}`,
        DB_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
        // The same links whichever port supertest listens on.
        PUBLIC_URL: 'http://images.test',
      },
    });
    const token = bearer(signTestToken({ sub: 'replicas' }));
    for (const path of ['a.jpg', 'b.jpg', 'c.jpg']) {
      await app
        .http()
        .post('/api/image')
        .set('Authorization', token)
        .send({ path, facet: 'Cover' })
        .expect(201);
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
    await database?.drop();
  });

  it('should start with the replica down and read from the primary', async () => {
    const before = await reads();
    const answer = await list().expect(200);
    expected = answer.body;
    expect(
      (answer.body as { images: { path: string }[] }).images.map((image) => image.path),
    ).toEqual(['a.jpg', 'b.jpg']);
    expect(await reads()).toEqual({ primary: before.primary + 1, replica: before.replica });
    expect(await replicaUp()).toBe(0);
  });

  it('should read from the replica once it answers', async () => {
    await proxy.restore();
    await waitUntil('the replica to serve reads', async () => (await replicaUp()) === 1);
    const before = await reads();
    expect((await list().expect(200)).body).toEqual(expected);
    expect(await reads()).toEqual({ primary: before.primary, replica: before.replica + 1 });
  });

  it('should read a request again on the primary when its replica resets the connection', async () => {
    // A check may find the replica gone between the cut and the request (then the request goes
    // straight to the primary): tried until a request met the failure itself.
    let failedOver = false;
    for (let attempt = 0; attempt < 5 && !failedOver; attempt += 1) {
      await waitUntil('the replica to serve reads', async () => (await replicaUp()) === 1);
      const before = await reads();
      await proxy.cut();
      try {
        expect((await list().expect(200)).body).toEqual(expected);
        const after = await reads();
        expect(after.primary).toBe(before.primary + 1);
        failedOver = after.replica === before.replica + 1;
        expect(await replicaUp()).toBe(0);
      } finally {
        await proxy.restore();
      }
    }
    expect(failedOver).toBe(true);
  });

  it('should skip a replica that stops answering (a partition) within the bound', async () => {
    await waitUntil('the replica to serve reads', async () => (await replicaUp()) === 1);
    proxy.drop();
    try {
      const droppedAt = Date.now();
      await waitUntil('the silent replica to be skipped', async () => (await replicaUp()) === 0);
      // Its last measurement ages out of the bound; the check that hangs is not waited for.
      expect(Date.now() - droppedAt).toBeLessThan(MAX_LAG_MS + 1000);
      const before = await reads();
      expect((await list().expect(200)).body).toEqual(expected);
      expect(await reads()).toEqual({ primary: before.primary + 1, replica: before.replica });
    } finally {
      await proxy.restore();
    }
    await waitUntil('the replica to serve reads again', async () => (await replicaUp()) === 1);
    const again = await reads();
    expect((await list().expect(200)).body).toEqual(expected);
    expect(await reads()).toEqual({ primary: again.primary, replica: again.replica + 1 });
  });
});

/**
 * The primary down, the replica up (found by a probe: reads answered 503 with a healthy replica,
 * and the log named the primary's address as the replica's). A replica's lag is read against the
 * primary's clock, so without the primary none is known to be within the bound: reads answer 503,
 * and the log and /metrics say that it is the primary that did not answer.
 */
describe('read replicas while the primary is down [mysql]', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let app: TestApp;
  const warnings: string[] = [];

  const metric = (sample: string) => metricOf(app, sample);

  beforeAll(async () => {
    const behind = await databaseBehindProxy();
    ({ database, proxy } = behind);
    const { auth, config } = behind;
    const { host, port } = config;
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    app = await createTestApp('mysql', {
      // The primary through the proxy, the replica (the same database) straight.
      database: {
        ...database,
        config: { ...config, host: '127.0.0.1', port: proxy.port },
      },
      env: {
        DATABASE_URL: process.env.TEST_MYSQL_URL,
        DATABASE_REPLICA_URLS: `mysql://${auth}@${host}:${port}/${config.database}`,
        DB_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      },
    });
  }, 60_000);

  afterAll(async () => {
    await proxy?.restore();
    await app?.close();
    await proxy?.stop();
    await database?.drop();
    jest.restoreAllMocks();
  });

  it('should answer reads 503 and say the primary did not answer the measurement', async () => {
    await waitUntil('the replica to serve reads', async () => {
      return (await metric('db_replica_up{replica="replica1"}')) === '1';
    });
    await app.http().get('/api/image').expect(200);
    await proxy.cut();
    await waitUntil('the replica to be skipped', async () => {
      return (await metric('db_replica_up{replica="replica1"}')) === '0';
    });
    expect(await metric('db_replica_lag_seconds{replica="replica1"}')).toBe('NaN');
    const read = await app.http().get('/api/image').expect(503);
    expect(read.body).toEqual({ message: 'Service Unavailable.' });
    expect(warnings.filter((warning) => warning.startsWith('replica1 is skipped'))).toEqual([
      expect.stringMatching(
        /^replica1 is skipped: its lag cannot be measured: the primary did not answer \(.+\)$/,
      ),
    ]);
    await proxy.restore();
    await waitUntil('the replica to serve reads again', async () => {
      return (await metric('db_replica_up{replica="replica1"}')) === '1';
    });
    await app.http().get('/api/image').expect(200);
  }, 60_000);
});
