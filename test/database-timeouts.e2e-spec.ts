import Database from 'better-sqlite3';
import { CLIENT_MARGIN_MS, withoutStatementTimeout } from '../src/database/database-timeouts';
import { inMysqlTransaction } from '../src/database/mysql-transaction';
import { insertImageRow, readImageRow } from './helpers/image-rows';
import { metricValue } from './helpers/metrics';
import { createTestApp, describeEachDatabase, TestApp } from './helpers/test-app';
import { connectTo, testDatabaseKinds } from './helpers/test-database';
import { bearer, tokenWith } from './helpers/tokens';
import { Permission } from '../src/auth/permissions';

/**
 * DB_STATEMENT_TIMEOUT_MS on a healthy database (API.md section 10): a statement that cannot finish
 * in time (here: waiting for a row lock another client holds) is stopped, the request answers 503
 * in the contract's shape soon after the limit, nothing changes, and the next request works. The
 * silent network is fault (b) (test/faults/network-partition.e2e-spec.ts).
 */
const STATEMENT_TIMEOUT_MS = 1000;

/** Another client of the same database, holding a write lock on one image until `release()`. */
async function holdImageLock(testApp: TestApp, id: number): Promise<{ release(): Promise<void> }> {
  const config = testApp.database.config;
  if (config.type === 'mysql') {
    const connection = await connectTo(config);
    await connection.query('START TRANSACTION');
    await connection.query('SELECT image_id FROM images WHERE image_id = ? FOR UPDATE', [id]);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await connection.query('ROLLBACK');
        await connection.end();
      },
    };
  }
  const database = new Database(config.path);
  database.exec('BEGIN IMMEDIATE');
  database.prepare('UPDATE images SET facet = facet WHERE image_id = ?').run(id);
  return {
    release: () => {
      if (database.open) {
        database.exec('ROLLBACK');
        database.close();
      }
      return Promise.resolve();
    },
  };
}

function statementTimeouts(app: TestApp): Promise<number> {
  return metricValue(app, 'db_statement_timeouts_total');
}

describeEachDatabase(
  'DB_STATEMENT_TIMEOUT_MS',
  (context) => {
    const token = tokenWith(Permission.CreateImage, Permission.UpdateImage);
    const patchPath = (id: number, path: string) =>
      context().http().patch(`/api/image/${id}`).set('Authorization', bearer(token)).send({ path });

    it('should answer 503 soon after the limit when a write waits for a lock, change nothing, then work again', async () => {
      const { dataSource } = context();
      const mysql = context().database.kind === 'mysql';
      const image = await insertImageRow(dataSource);
      const count = async () =>
        Number((await dataSource.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM images'))[0].n);
      const before = await statementTimeouts(context());
      // MySQL: a row lock held by another client. SQLite: another connection's write
      // transaction (SQLite locks the whole file); the write waits for it up to busy_timeout. A
      // write that reads first (this one) failed at once there, until a probe found it.
      const write = () => patchPath(image.image_id, 'timeouts/changed.jpg');
      const lock = await holdImageLock(context(), image.image_id);
      let elapsedMs: number;
      try {
        const started = Date.now();
        const response = await write();
        elapsedMs = Date.now() - started;
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ message: 'Service Unavailable.' });
        expect(response.headers['request-id']).toEqual(expect.any(String));
      } finally {
        await lock.release();
      }
      expect(elapsedMs).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(STATEMENT_TIMEOUT_MS + 1500);
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
      expect(await count()).toBe(1);

      // MariaDB's max_statement_time stopped the statement (SQLite's lock wait is not counted).
      const after = await statementTimeouts(context());
      expect(after - before).toBe(mysql ? 1 : 0);

      const again = await write();
      expect(again.status).toBe(200);
      expect((await readImageRow(dataSource, image.image_id))?.path).toBe('timeouts/changed.jpg');
      expect(await count()).toBe(1);
    });

    // The bump and the COMMIT travel in one block on MariaDB (mysql-transaction.ts): stopped in
    // the bump, the block must not reach its COMMIT, and the write must leave nothing behind.
    it('should answer 503 and commit nothing when the version bump waits past the limit [mysql]', async () => {
      const config = context().database.config;
      if (config.type !== 'mysql') return;
      const { dataSource } = context();
      const state = async () => ({
        images: await dataSource.query('SELECT image_id, path FROM images ORDER BY image_id'),
        events: await dataSource.query('SELECT event_type, image_id FROM image_event_outbox'),
        version: await dataSource.query(
          "SELECT version FROM change_versions WHERE table_name = 'images'",
        ),
      });
      const before = await state();
      const timeouts = await statementTimeouts(context());
      const holder = await connectTo(config);
      const create = () =>
        context()
          .http()
          .post('/api/image')
          .set('Authorization', bearer(token))
          .send({ path: 'timeouts/bump.jpg', facet: 'Cover' });
      try {
        await holder.query('START TRANSACTION');
        await holder.query(
          "SELECT version FROM change_versions WHERE table_name = 'images' FOR UPDATE",
        );
        const response = await create();
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ message: 'Service Unavailable.' });
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect(await state()).toEqual(before);
      expect((await statementTimeouts(context())) - timeouts).toBe(1);

      const again = await create();
      expect(again.status).toBe(201);
      const after = await state();
      const id = (again.body as { image: { image_id: number } }).image.image_id;
      expect(after.images).toEqual([
        ...(before.images as unknown[]),
        { image_id: id, path: 'timeouts/bump.jpg' },
      ]);
      expect(after.events).toEqual([
        ...(before.events as unknown[]),
        { event_type: 'image.created', image_id: id },
      ]);
      expect(Number((after.version as { version: number }[])[0].version)).toBe(
        Number((before.version as { version: number }[])[0].version) + 1,
      );
    });

    // Found by probes: on SQLite a write that reads first could not wait for another
    // connection's lock and answered 503 at once; then, waiting, it stopped the whole process
    // (better-sqlite3 waits with the event loop stopped), liveness and shutdown included. Now it
    // waits on timers, and writes once the lock is released.
    it('should wait for another connection’s lock without stopping the process, then write [sqlite]', async () => {
      const config = context().database.config;
      if (config.type !== 'sqlite') return;
      const image = await insertImageRow(context().dataSource);
      const lock = await holdImageLock(context(), image.image_id);
      const order: string[] = [];
      let patched;
      try {
        const pending = patchPath(image.image_id, 'timeouts/waited.jpg').then((response) => {
          order.push('patch');
          return response;
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const health = await context().http().get('/health');
        order.push(`health ${health.status}`);
        const read = await context().http().get(`/api/image/${image.image_id}`);
        order.push(`read ${read.status} ${(read.body as { image: { path: string } }).image.path}`);
        await lock.release();
        patched = await pending;
      } finally {
        await lock.release();
      }
      expect(order).toEqual(['health 200', `read 200 ${image.path}`, 'patch']);
      expect(patched.status).toBe(200);
      expect((await readImageRow(context().dataSource, image.image_id))?.path).toBe(
        'timeouts/waited.jpg',
      );
    });

    // Found by a probe: each write queued behind one waiting for the lock waited a whole
    // busy_timeout of its own once its turn came (5, 10, 15 s).
    it('should give writes queued behind a lock one deadline, not one each [sqlite]', async () => {
      const config = context().database.config;
      if (config.type !== 'sqlite') return;
      const { dataSource } = context();
      const images = [
        await insertImageRow(dataSource),
        await insertImageRow(dataSource),
        await insertImageRow(dataSource),
      ];
      const lock = await holdImageLock(context(), images[0].image_id);
      let answers: { status: number; body: unknown; elapsedMs: number }[];
      try {
        const started = Date.now();
        answers = await Promise.all(
          images.map((image) =>
            patchPath(image.image_id, 'timeouts/queued.jpg').then((response) => ({
              status: response.status,
              body: response.body as unknown,
              elapsedMs: Date.now() - started,
            })),
          ),
        );
      } finally {
        await lock.release();
      }
      for (const answer of answers) {
        expect([answer.status, answer.body]).toEqual([503, { message: 'Service Unavailable.' }]);
        expect(answer.elapsedMs).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 50);
        expect(answer.elapsedMs).toBeLessThan(STATEMENT_TIMEOUT_MS + 1500);
      }
      for (const image of images)
        expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
    });

    it('should answer 503 when an operator stops the write’s statement (KILL QUERY) [mysql]', async () => {
      const config = context().database.config;
      if (config.type !== 'mysql') return;
      const { dataSource } = context();
      const image = await insertImageRow(dataSource);
      const lock = await holdImageLock(context(), image.image_id);
      let response;
      try {
        const pending = patchPath(image.image_id, 'timeouts/killed.jpg').then((answer) => answer);
        // The service's statement, waiting for the lock: stopped as `KILL QUERY` would stop it.
        const database = config.database;
        let waiting: { id: number }[] = [];
        for (let tries = 0; waiting.length === 0 && tries < 50; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          waiting = await dataSource.query(
            `SELECT id FROM information_schema.processlist WHERE db = ? AND command = 'Query'
               AND info LIKE '%images%' AND info NOT LIKE '%processlist%'`,
            [database],
          );
        }
        expect(waiting).toHaveLength(1);
        await dataSource.query(`KILL QUERY ${Number(waiting[0].id)}`);
        response = await pending;
      } finally {
        await lock.release();
      }
      expect([response.status, response.body]).toEqual([503, { message: 'Service Unavailable.' }]);
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
    });

    it('should let exempt work (migrations, seeding, pruning) run longer than the limit', async () => {
      const { dataSource } = context();
      if (context().database.kind === 'mysql') {
        await expect(dataSource.query('SELECT SLEEP(1.5) AS slept')).rejects.toMatchObject({
          driverError: { code: 'ER_STATEMENT_TIMEOUT' },
        });
        await expect(
          withoutStatementTimeout(dataSource, (manager) =>
            manager.query('SELECT SLEEP(1.5) AS slept'),
          ),
        ).resolves.toEqual([{ slept: 0 }]);
        // The connection went back to the pool with its limit again.
        await expect(dataSource.query('SELECT SLEEP(1.5) AS slept')).rejects.toMatchObject({
          driverError: { code: 'ER_STATEMENT_TIMEOUT' },
        });
      } else {
        await expect(
          withoutStatementTimeout(dataSource, (manager) => manager.query('SELECT 1 AS one')),
        ).resolves.toEqual([{ one: 1 }]);
      }
    });
  },
  { env: { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) } },
);

// SQLite has no pool: one connection, shared.
if (testDatabaseKinds().includes('mysql'))
  describe('DB_CONNECT_TIMEOUT_MS [mysql]', () => {
    let testApp: TestApp;
    const CONNECT_TIMEOUT_MS = 500;

    beforeAll(async () => {
      testApp = await createTestApp('mysql', {
        env: { DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) },
      });
    });

    afterAll(async () => {
      await testApp?.close();
    });

    it('should answer 503 soon after the limit while every pooled connection is taken, then work again', async () => {
      const image = await insertImageRow(testApp.dataSource);
      const before = await statementTimeouts(testApp);
      // The test database's pool has 5 connections: take them all.
      const runners = Array.from({ length: 5 }, () => testApp.dataSource.createQueryRunner());
      await Promise.all(runners.map((runner) => runner.connect()));
      let elapsedMs: number;
      try {
        const started = Date.now();
        const response = await testApp.http().get(`/api/image/${image.image_id}`);
        elapsedMs = Date.now() - started;
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ message: 'Service Unavailable.' });
      } finally {
        await Promise.all(runners.map((runner) => runner.release()));
      }
      expect(elapsedMs).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(CONNECT_TIMEOUT_MS + 1500);
      const after = await statementTimeouts(testApp);
      expect(after - before).toBe(1);
      await testApp.http().get(`/api/image/${image.image_id}`).expect(200);
    });
  });

// SQLite has no pool, and its statements cannot be interrupted.
if (testDatabaseKinds().includes('mysql'))
  describe('one deadline for a request’s database work [mysql]', () => {
    let testApp: TestApp;
    /** The deadline: the statement limit and the client-side margin, from the first wait. */
    const DEADLINE_MS = STATEMENT_TIMEOUT_MS + CLIENT_MARGIN_MS;
    const token = tokenWith(Permission.UpdateImage);

    beforeAll(async () => {
      testApp = await createTestApp('mysql', {
        env: {
          DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
          DB_CONNECT_TIMEOUT_MS: '3000',
        },
      });
    });

    afterAll(async () => {
      await testApp?.close();
    });

    /** Takes every pooled connection (the test database's pool has 5) until `release()`. */
    async function takePool(): Promise<{ release(): Promise<void> }> {
      const runners = Array.from({ length: 5 }, () => testApp.dataSource.createQueryRunner());
      await Promise.all(runners.map((runner) => runner.connect()));
      return { release: () => Promise.all(runners.map((runner) => runner.release())).then() };
    }

    const timed = async (request: () => PromiseLike<{ status: number; body: unknown }>) => {
      const started = Date.now();
      const response = await request();
      return { status: response.status, body: response.body, elapsedMs: Date.now() - started };
    };

    it('should give every pooled connection the same properties in the same order, exempt work included', async () => {
      // mysql2 reads a connection's fields on every packet: one shape keeps that fast
      // (docs/PERFORMANCE.md, "One connection shape").
      const ownKeys = async () => {
        const runners = Array.from({ length: 5 }, () => testApp.dataSource.createQueryRunner());
        const connections = (await Promise.all(
          runners.map((runner) => runner.connect()),
        )) as object[];
        await Promise.all(runners.map((runner) => runner.query('SELECT 1')));
        const keys = connections.map((connection) => Reflect.ownKeys(connection).map(String));
        await Promise.all(runners.map((runner) => runner.release()));
        return keys;
      };
      const before = await ownKeys();
      await withoutStatementTimeout(testApp.dataSource, (manager) => manager.query('SELECT 1'));
      const after = await ownKeys();
      expect(before[0]).toEqual(
        expect.arrayContaining([
          'query',
          'Symbol(session statement limit (ms))',
          'Symbol(exempt from the statement limit)',
          'Symbol(the statements in flight)',
          'Symbol(when the work on the connection must be over (performance.now()))',
        ]),
      );
      expect([...before, ...after]).toEqual(Array.from({ length: 10 }, () => before[0]));
    });

    it('should end a read’s or a write’s wait for a connection at the deadline, not the 3 s connect limit', async () => {
      const image = await insertImageRow(testApp.dataSource);
      const pool = await takePool();
      let read: Awaited<ReturnType<typeof timed>>;
      let write: Awaited<ReturnType<typeof timed>>;
      try {
        [read, write] = await Promise.all([
          timed(() => testApp.http().get(`/api/image/${image.image_id}`)),
          timed(() =>
            testApp
              .http()
              .patch(`/api/image/${image.image_id}`)
              .set('Authorization', bearer(token))
              .send({ path: 'deadline/changed.jpg' }),
          ),
        ]);
      } finally {
        await pool.release();
      }
      for (const answer of [read, write]) {
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 503,
          body: { message: 'Service Unavailable.' },
        });
        expect(answer.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
        expect(answer.elapsedMs).toBeLessThan(2500);
      }
      expect(await readImageRow(testApp.dataSource, image.image_id)).toEqual(image);
      await testApp.http().get(`/api/image/${image.image_id}`).expect(200);
    });

    it('should give a write transaction’s connection the deadline handed to it (a retried write keeps its first one)', async () => {
      const started = Date.now();
      // Within the 1 s statement limit, but not within what is left of the deadline.
      await expect(
        inMysqlTransaction(testApp.dataSource, performance.now() + 300, (runner) =>
          runner.query('SELECT SLEEP(0.8) AS slept'),
        ),
      ).rejects.toMatchObject({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(700);
      await expect(testApp.dataSource.query('SELECT SLEEP(0.8) AS slept')).resolves.toEqual([
        { slept: 0 },
      ]);
    });

    it('should count the wait for a connection in a write’s deadline: 1 s waited, then a lock wait stopped at 1.25 s', async () => {
      const image = await insertImageRow(testApp.dataSource);
      const before = await statementTimeouts(testApp);
      const lock = await holdImageLock(testApp, image.image_id);
      const pool = await takePool();
      let write: Awaited<ReturnType<typeof timed>>;
      try {
        const answered = timed(() =>
          testApp
            .http()
            .patch(`/api/image/${image.image_id}`)
            .set('Authorization', bearer(token))
            .send({ path: 'deadline/changed.jpg' }),
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await pool.release();
        write = await answered;
      } finally {
        await lock.release();
      }
      // Each limit on its own would have allowed 1 s for the connection and 1 s for the lock.
      expect({ status: write.status, body: write.body }).toEqual({
        status: 503,
        body: { message: 'Service Unavailable.' },
      });
      expect(write.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(write.elapsedMs).toBeLessThan(1900);
      expect(await readImageRow(testApp.dataSource, image.image_id)).toEqual(image);
      const after = await statementTimeouts(testApp);
      expect(after - before).toBe(1);
      const again = await testApp
        .http()
        .patch(`/api/image/${image.image_id}`)
        .set('Authorization', bearer(token))
        .send({ path: 'deadline/changed.jpg' });
      expect(again.status).toBe(200);
    });
  });
