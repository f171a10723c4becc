import type { ModuleMetadata } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { AppConfig, parseConfig } from '../../src/config/app-config';
import { MessageListeners, startMessageListeners } from '../../src/microservice/message-listeners';
import {
  createTestDatabase,
  TestDatabase,
  TestDatabaseKind,
  testDatabaseKinds,
} from './test-database';
import { listenOnFreePort } from './ports';

/** A secret only the tests use; long enough for the config rules. */
export const TEST_JWT_SECRET = 'test-secret-of-the-image-api-e2e-suite-0123456789';

/** Signs the page cursors of the test apps (none is generated into ./data). */
export const TEST_CURSOR_SECRET = 'test-cursor-secret-of-the-image-api-e2e-suite-0123';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly database: TestDatabase;
  /** The message listeners started with `listeners: true` (none otherwise). */
  readonly listeners: MessageListeners;
  /** A supertest agent bound to the running app. */
  http(): TestAgent;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables on top of the test defaults (quiet logs, no demo data, no rate limit). */
  readonly env?: Record<string, string | undefined>;
  /** Reuse a database made earlier (its data survives this app). */
  readonly database?: TestDatabase;
  /**
   * Start the message listeners the env configures, as `main.ts` does (`MICROSERVICE_PORT: '0'`
   * for TCP on a free port, `NATS_URL` with a `NATS_SUBJECT_PREFIX` unique to the test file).
   */
  readonly listeners?: boolean;
  /** Modules mounted beside the app's own (a test-only resource). */
  readonly imports?: ModuleMetadata['imports'];
  /** `configureApp`'s options (`readsFirst: false`: every read through Nest). */
  readonly setup?: Parameters<typeof configureApp>[1];
}

/** Boots the real app through `configureApp()` against a fresh database of the given kind. */
export async function createTestApp(
  kind: TestDatabaseKind,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(kind));
  // Stored files go to a folder of this app's own (the env may name another), never ./data.
  const storageDir = mkdtempSync(join(tmpdir(), 'image-api-storage-'));
  const config: AppConfig = {
    ...parseConfig({
      LOG_LEVEL: 'silent',
      DEMO_DATA: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      CURSOR_SECRET: TEST_CURSOR_SECRET,
      IMAGE_BASE_URL: 'https://animethemes.moe/storage/images',
      STORAGE_DIR: storageDir,
      // No daily prune in the middle of a test (fixtures hold images trashed long ago).
      PRUNE_TRASHED_AFTER_DAYS: '0',
      ...options.env,
    }),
    database: database.config,
  };
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config), ...(options.imports ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createFastifyAdapter(config),
    {
      logger: false,
      // As in main.ts: configureApp's body parsers, not Nest's.
      bodyParser: false,
    },
  );
  await configureApp(app, options.setup);
  const listeners = options.listeners === true ? await startMessageListeners(app, config) : {};
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  return {
    app,
    config,
    dataSource,
    database,
    listeners,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      rmSync(storageDir, { recursive: true, force: true });
      if (options.database === undefined) await database.drop();
    },
  };
}

/**
 * Runs a suite once per test database (SQLite, and MariaDB/MySQL when `TEST_MYSQL_URL` is set),
 * each on a fresh database with its own app.
 */
export function describeEachDatabase(
  title: string,
  body: (context: () => TestApp) => void,
  options: TestAppOptions = {},
): void {
  describe.each(testDatabaseKinds())(`${title} [%s]`, (kind) => {
    let testApp: TestApp | undefined;
    beforeAll(async () => {
      testApp = await createTestApp(kind, options);
    });
    afterAll(async () => {
      await testApp?.close();
    });
    body(() => {
      if (testApp === undefined) throw new Error('the test app did not start');
      return testApp;
    });
  });
}

/**
 * A SQLite app listening on a free port of 127.0.0.1 for the suite this is called in, for tests
 * that speak HTTP on a raw socket (the HTTP layer is the same whatever the database): started
 * before the suite's tests and closed after them. The port is read in the tests.
 */
export function listeningTestApp(options: TestAppOptions = {}): () => number {
  let testApp: TestApp | undefined;
  let port: number | undefined;
  beforeAll(async () => {
    testApp = await createTestApp('sqlite', options);
    port = await listenOnFreePort(testApp.app);
  });
  afterAll(async () => {
    await testApp?.close();
  });
  return () => {
    if (port === undefined) throw new Error('the test app did not start');
    return port;
  };
}
