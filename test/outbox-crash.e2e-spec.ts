import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, JetStreamManager, NatsConnection, StringCodec } from 'nats';
import request from 'supertest';
import type { DatabaseConfig } from '../src/config/app-config';
import { openDataSource } from '../src/database/data-source';
import type { ImageEvent } from '../src/events/image-event';
import { deleteStream, TEST_NATS_URL, uniqueNatsNames } from './helpers/messaging';
import { NatsProxy } from './helpers/nats-proxy';
import { stablePort } from './helpers/ports';
import { TEST_JWT_SECRET } from './helpers/test-app';
import { createTestDatabase, TestDatabase, testDatabaseKinds } from './helpers/test-database';
import { signTestToken } from './helpers/tokens';

/**
 * A process killed (SIGKILL: no shutdown hook runs) between the commit of a write and the publish
 * of its event: the event waits in the outbox, and the next process publishes it at start. The
 * service runs as `npm start` runs it (`src/main.ts`, compiled on the fly); the broker is cut
 * (through a proxy) before the write, so the publish cannot happen before the kill.
 */
const ROOT = resolve(__dirname, '..');
const codec = StringCodec();

interface ServiceProcess {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<unknown>;
}

function startService(env: Record<string, string>, cwd: string): ServiceProcess {
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'src/main.ts')],
    {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  return { child, stderr: () => stderr, exited };
}

async function waitUntilReady(service: ServiceProcess, port: number): Promise<void> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the service exited during start-up: ${service.stderr()}`);
    const ready = await request(`http://127.0.0.1:${port}`)
      .get('/health')
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ready) return;
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

function databaseUrl(config: DatabaseConfig): string {
  if (config.type === 'sqlite') return `sqlite:${config.path}`;
  const user = encodeURIComponent(config.username);
  const password = config.password === '' ? '' : `:${encodeURIComponent(config.password)}`;
  return `mysql://${user}${password}@${config.host}:${config.port}/${config.database}`;
}

interface OutboxState {
  event_id: string;
  event_type: string;
  image_id: number;
  published: boolean;
}

async function readOutbox(config: DatabaseConfig): Promise<OutboxState[]> {
  const dataSource = await openDataSource(config);
  try {
    const rows: Record<string, unknown>[] = await dataSource.query(
      'SELECT event_id, event_type, image_id, published_at FROM image_event_outbox ORDER BY outbox_id',
    );
    return rows.map((row) => ({
      event_id: String(row.event_id),
      event_type: String(row.event_type),
      image_id: Number(row.image_id),
      published: row.published_at !== null,
    }));
  } finally {
    await dataSource.destroy();
  }
}

describe.each(testDatabaseKinds())(
  'an event committed just before the process is killed [%s]',
  (kind) => {
    const { subjectPrefix, stream } = uniqueNatsNames();
    const proxy = new NatsProxy();
    const cwd = mkdtempSync(join(tmpdir(), 'image-api-crash-'));
    const services: ServiceProcess[] = [];
    let database: TestDatabase;
    let connection: NatsConnection;
    let manager: JetStreamManager;
    let env: Record<string, string>;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      await proxy.start();
      connection = await connect({ servers: TEST_NATS_URL });
      manager = await connection.jetstreamManager();
      env = {
        PORT: String(await stablePort()),
        DATABASE_URL: databaseUrl(database.config),
        DEMO_DATA: 'false',
        JWT_SECRET: TEST_JWT_SECRET,
        NATS_URL: proxy.url,
        NATS_SUBJECT_PREFIX: subjectPrefix,
        NATS_EVENTS_STREAM: stream,
        OUTBOX_RETRY_MAX_MS: '200',
      };
    });

    afterAll(async () => {
      for (const service of services) {
        if (service.child.exitCode === null && service.child.signalCode === null) {
          service.child.kill('SIGKILL');
          await service.exited;
        }
      }
      await proxy.stop();
      await connection?.close();
      await deleteStream(stream);
      await database?.drop();
      rmSync(cwd, { recursive: true, force: true });
    });

    async function start(): Promise<ServiceProcess> {
      const service = startService(env, cwd);
      services.push(service);
      await waitUntilReady(service, Number(env.PORT));
      return service;
    }

    it('should publish the event after a restart, once', async () => {
      const first = await start();
      await proxy.stop();
      const created = await request(`http://127.0.0.1:${env.PORT}`)
        .post('/api/image')
        .set('Authorization', `Bearer ${signTestToken({ sub: 'crash-tester' })}`)
        .send({ path: 'anime/survivor.jpg', facet: 'Cover' })
        .expect(201);
      first.child.kill('SIGKILL');
      await first.exited;

      const imageId = (created.body as { image: { image_id: number } }).image.image_id;
      const [pending, ...others] = await readOutbox(database.config);
      expect(others).toEqual([]);
      expect(pending).toEqual({
        event_id: expect.any(String),
        event_type: 'image.created',
        image_id: imageId,
        published: false,
      });

      await proxy.start();
      const second = await start();
      const deadline = Date.now() + 20_000;
      let messages = 0;
      while (messages === 0) {
        if (Date.now() > deadline) throw new Error(`no event was published: ${second.stderr()}`);
        messages = await manager.streams
          .info(stream)
          .then((info) => info.state.messages)
          .catch(() => 0);
        if (messages === 0) await new Promise((wait) => setTimeout(wait, 100));
      }

      const stored = await manager.streams.getMessage(stream, { seq: 1 });
      const event = JSON.parse(codec.decode(stored.data)) as ImageEvent;
      expect(stored.subject).toBe(`${subjectPrefix}images.events.created`);
      expect(event).toMatchObject({
        id: pending.event_id,
        type: 'image.created',
        image_id: imageId,
        actor: 'crash-tester',
        data: { image: { image_id: imageId, path: 'anime/survivor.jpg', facet: 'Cover' } },
      });

      second.child.kill('SIGTERM');
      await second.exited;
      expect((await manager.streams.info(stream)).state.messages).toBe(1);
      expect(await readOutbox(database.config)).toEqual([{ ...pending, published: true }]);
    });
  },
);
