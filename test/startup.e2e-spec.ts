import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { RowDataPacket } from 'mysql2/promise';
import { openDataSource } from '../src/database/data-source';
import { MIGRATIONS } from '../src/database/migrations';
import { planDemoData, DEMO_DATA_OPTIONS } from '../src/seed/demo-data.generator';
import { stablePort } from './helpers/ports';
import {
  connectTo,
  createTestDatabase,
  TestDatabase,
  testDatabaseKinds,
} from './helpers/test-database';

/**
 * Start-up and shutdown of the real process (`src/main.ts`, compiled on the fly), as `npm start`
 * runs it: configuration errors, an unreachable database, a good start, SIGTERM.
 */
const ROOT = resolve(__dirname, '..');

interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ServiceProcess[] = [];
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-startup-'));
  tempDirs.push(dir);
  return dir;
}

/**
 * Runs the service from an empty working directory (no `.env` to pick up) with only the given
 * variables, so the developer's environment can't leak in.
 */
function startService(env: Record<string, string>): ServiceProcess {
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'src/main.ts')],
    {
      cwd: tempDir(),
      env: {
        PATH: process.env.PATH ?? '',
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const service = { child, output, exited };
  started.push(service);
  return service;
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function httpGet(port: number, path: string): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () =>
        done({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: JSON.parse(text),
        }),
      );
    });
    request.on('error', fail);
  });
}

/** Polls until the service answers GET /health/ready (or fails if the process ends first). */
async function waitUntilReady(service: ServiceProcess, port: number): Promise<void> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the service exited during start-up: ${service.output.stderr}`);
    try {
      await httpGet(port, '/health/ready');
      return;
    } catch {
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
}

/** Resolves once a new TCP connection to the port is refused: the server stopped accepting. */
async function waitUntilRefused(port: number): Promise<void> {
  for (;;) {
    const socket = connect(port, '127.0.0.1');
    const outcome = await new Promise<string | undefined>((done) => {
      socket.once('connect', () => done('accepted'));
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code));
    });
    socket.destroy();
    if (outcome === 'ECONNREFUSED') return;
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        socket.off('data', onData);
        done(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', fail);
  });
}

afterAll(async () => {
  for (const service of started) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('start-up with a bad configuration or database', () => {
  const failures: Record<string, ServiceProcess> = {};

  beforeAll(async () => {
    // A file a newer build migrated: a migration this build does not know (found by a probe:
    // ready, then a 500 for every request that read what it changed).
    const newerDir = tempDir();
    const newer = await openDataSource({
      type: 'sqlite',
      path: join(newerDir, 'image-api.sqlite'),
    });
    await newer.runMigrations();
    await newer.query('INSERT INTO migrations (timestamp, name) VALUES (?, ?)', [
      1799999999999,
      'RenameImagePath1799999999999',
    ]);
    await newer.destroy();
    // Started together: each compiles the app for a few seconds.
    failures.port = startService({ PORT: 'abc' });
    failures.databaseUrl = startService({ DATABASE_URL: 'postgres://x' });
    failures.unreachable = startService({
      PORT: '3000',
      DATABASE_URL: 'mysql://root@127.0.0.1:1/image_api',
      DATA_DIR: tempDir(),
    });
    // Found by a probe: the line said only CONNECTION_REFUSED.
    failures.unreachableNats = startService({
      PORT: '3000',
      // The relay's warning of its own failed attempt is not what this checks.
      LOG_LEVEL: 'error',
      NATS_URL: 'nats://127.0.0.1:1',
      DATA_DIR: tempDir(),
    });
    // A new SQLite file, which nothing migrated (found by a probe: ready, then a 500 for every request).
    failures.unmigrated = startService({ PORT: '3000', DB_MIGRATE: 'false', DATA_DIR: tempDir() });
    failures.newerSchema = startService({ PORT: '3000', DATA_DIR: newerDir });
    // Found by a probe: an address the TCP listener cannot bind hung start-up for ever, silently.
    failures.tcpHost = startService({
      PORT: '3000',
      DATA_DIR: tempDir(),
      MICROSERVICE_PORT: '4999',
      MICROSERVICE_HOST: '192.0.2.1',
    });
  });

  it.each([
    [
      'port',
      'PORT=abc',
      'Invalid configuration: PORT must be an integer from 1 to 65535 (got "abc")',
    ],
    [
      'databaseUrl',
      'DATABASE_URL=postgres://x',
      'Invalid configuration: DATABASE_URL must use mysql:// (or mariadb://) or sqlite: (got "postgres://")',
    ],
    ['unreachable', 'an unreachable MySQL', 'Start-up failed: connect ECONNREFUSED 127.0.0.1:1'],
    [
      'unreachableNats',
      'an unreachable NATS',
      'Start-up failed: NATS (NATS_URL) could not be used: CONNECTION_REFUSED',
    ],
    [
      'unmigrated',
      'DB_MIGRATE=false on a database never migrated',
      `Start-up failed: DB_MIGRATE=false, and the database has ${MIGRATIONS.length} migrations to apply: run npm run migration:run, or start once with DB_MIGRATE=true`,
    ],
    [
      'newerSchema',
      'a database a newer build migrated',
      'Start-up failed: the database has 1 migration this build does not know (RenameImagePath1799999999999): a newer build migrated it; start that build, or revert them with it first (npm run migration:revert)',
    ],
    [
      'tcpHost',
      'a TCP listener address that is not the machine’s',
      'Start-up failed: listen EADDRNOTAVAIL: address not available 192.0.2.1:4999',
    ],
  ])(
    'should exit 1 with one clear line on stderr for %s (%s), no stack trace',
    async (key, _what, line) => {
      const service = failures[key];
      expect(await service.exited).toEqual({ code: 1, signal: null });
      expect(service.output.stderr).toBe(`${line}\n`);
      expect(service.output.stdout).toBe('');
    },
  );
});

describe('SIGTERM while starting', () => {
  it('should exit 0 with a log line, not die by the signal, when stopped before it listens', async () => {
    // A database that takes the connection and never answers: start-up waits in its connect.
    const held: Socket[] = [];
    let connected!: () => void;
    const reached = new Promise<void>((done) => (connected = done));
    const silent = createServer((socket) => {
      held.push(socket);
      connected();
    });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as AddressInfo;
    try {
      const service = startService({
        LOG_LEVEL: 'info',
        DATABASE_URL: `mysql://root@127.0.0.1:${port}/image_api`,
        DB_CONNECT_TIMEOUT_MS: '600000',
        DATA_DIR: tempDir(),
      });
      await reached;
      service.child.kill('SIGTERM');
      expect(await service.exited).toEqual({ code: 0, signal: null });
      const lines = service.output.stdout.trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
        'stopped before start-up finished',
      ]);
      expect(JSON.parse(lines[0])).toMatchObject({ level: 30, signal: 'SIGTERM' });
      expect(service.output.stderr).toBe('');
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((done) => silent.close(done));
    }
  });
});

describe('a good start on the embedded database, then SIGTERM', () => {
  let port: number;
  let dataDir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    port = await stablePort();
    dataDir = tempDir();
    service = startService({
      PORT: String(port),
      DATA_DIR: dataDir,
      IMAGE_BASE_URL: `http://127.0.0.1:${port}/storage/images`,
    });
    await waitUntilReady(service, port);
  });

  it('should answer GET /health/ready with 200 on the configured port', async () => {
    const answer = await httpGet(port, '/health/ready');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: 'ok',
      info: { database: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' } },
      broker: { status: 'disabled' },
      outbox: { backlog: 0, oldest_event_age_seconds: 0 },
    });
    expect(answer.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should have migrated a SQLite file under DATA_DIR and filled it with the demo data', () => {
    const database = new Database(join(dataDir, 'image-api.sqlite'), { readonly: true });
    try {
      const count = (table: string) =>
        (database.prepare(`SELECT COUNT(*) AS count FROM ${table}`).get() as { count: number })
          .count;
      const { rows } = planDemoData(DEMO_DATA_OPTIONS);
      expect(Object.fromEntries(Object.keys(rows).map((table) => [table, count(table)]))).toEqual(
        rows,
      );
      expect(rows.images).toBe(2000);
    } finally {
      database.close();
    }
  });

  it("should serve the first image's link as a picture (a generated demo PNG)", async () => {
    const page = await httpGet(port, '/api/image?page%5Bsize%5D=1');
    const [first] = (page.body as { images: { link: string }[] }).images;
    const link = new URL(first.link);
    expect(link.origin).toBe(`http://127.0.0.1:${port}`);
    const picture = await new Promise<{ status: number; type?: string; bytes: Buffer }>(
      (done, fail) => {
        get({ host: '127.0.0.1', port, path: link.pathname, agent: false }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            done({
              status: response.statusCode ?? 0,
              type: response.headers['content-type'],
              bytes: Buffer.concat(chunks),
            }),
          );
        }).on('error', fail);
      },
    );
    expect(picture).toMatchObject({ status: 200, type: 'image/png' });
    expect(picture.bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('should finish an in-flight request after SIGTERM, stop accepting, then exit 0', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const body = JSON.stringify({ probe: 'in flight' });
    // `Expect: 100-continue` makes the server say when it holds the request; the body follows later.
    socket.write(
      // Any bearer token: a write without one is refused before its body (no 100).
      'POST /health/in-flight HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n' +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    const response = readUntil(socket, /\r\n\r\n[\s\S]*\}$/);
    await readUntil(socket, /^HTTP\/1\.1 100 Continue\r\n\r\n/);

    service.child.kill('SIGTERM');
    await waitUntilRefused(port);
    socket.write(body);

    const text = await response;
    expect(text).toMatch(/\r\nHTTP\/1\.1 404 Not Found\r\n/);
    expect(text.endsWith('\r\n\r\n{"message":"Not Found."}')).toBe(true);
    expect(await service.exited).toEqual({ code: 0, signal: null });
    socket.destroy();
  });
});

if (testDatabaseKinds().includes('mysql')) {
  describe('a good start on MySQL/MariaDB', () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase('mysql');
    });

    afterAll(async () => {
      await database?.drop();
    });

    /** The test database as a DATABASE_URL. */
    function databaseUrl(): string {
      if (database.config.type !== 'mysql') throw new Error('expected a MySQL test database');
      const { username, password, host, port, database: name } = database.config;
      const credentials =
        password === '' ? username : `${username}:${encodeURIComponent(password)}`;
      return `mysql://${credentials}@${host}:${port}/${name}`;
    }

    // Found by a probe: MySQL's DDL commits statement by statement, and a stop in the middle of
    // the first migration left half its tables made and none recorded: every later start failed.
    it('should finish the running migration before a SIGTERM stops it, so that the next start works', async () => {
      const url = databaseUrl();
      const name = (database.config as { database: string }).database;
      const connection = await connectTo(database.config);
      try {
        await connection.query(`DROP DATABASE \`${name}\``);
        await connection.query(`CREATE DATABASE \`${name}\``);
        await connection.query(`USE \`${name}\``);
        const service = startService({ LOG_LEVEL: 'info', DATABASE_URL: url, DATA_DIR: tempDir() });
        // The first migration has made a table of its own, and is not recorded yet.
        for (;;) {
          const [tables] = await connection.query<RowDataPacket[]>(
            "SELECT COUNT(*) AS made FROM information_schema.tables WHERE table_schema = ? AND table_name <> 'migrations'",
            [name],
          );
          if (Number(tables[0].made) > 0) break;
          await new Promise((wait) => setTimeout(wait, 5));
        }
        service.child.kill('SIGTERM');
        expect(await service.exited).toEqual({ code: 0, signal: null });
        const messages = service.output.stdout
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { msg: string }).msg);
        expect(messages).toEqual([
          'stopping once the running migrations are over',
          'stopped before start-up finished',
        ]);
        const [recorded] = await connection.query<RowDataPacket[]>(
          'SELECT COUNT(*) AS count FROM migrations',
        );
        expect(Number(recorded[0].count)).toBe(MIGRATIONS.length);

        const port = await stablePort();
        const again = startService({ PORT: String(port), DATABASE_URL: url, DATA_DIR: tempDir() });
        await waitUntilReady(again, port);
        expect((await httpGet(port, '/health/ready')).status).toBe(200);
        again.child.kill('SIGTERM');
        expect(await again.exited).toEqual({ code: 0, signal: null });
      } finally {
        await connection.end();
      }
    });

    it('should migrate, answer GET /health/ready with 200, never seed, and exit 0 on SIGTERM', async () => {
      const port = await stablePort();
      const service = startService({
        PORT: String(port),
        DATABASE_URL: databaseUrl(),
        DATA_DIR: tempDir(),
      });
      await waitUntilReady(service, port);
      expect((await httpGet(port, '/health/ready')).status).toBe(200);

      const connection = await connectTo(database.config);
      try {
        const [rows] = await connection.query('SELECT COUNT(*) AS count FROM images');
        expect(rows).toEqual([{ count: 0 }]);
      } finally {
        await connection.end();
      }

      service.child.kill('SIGTERM');
      expect(await service.exited).toEqual({ code: 0, signal: null });
    });
  });
}
