import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { DatabaseConfig, parseConfig } from '../../src/config/app-config';

export type TestDatabaseKind = 'sqlite' | 'mysql';

/** SQLite always; MariaDB/MySQL too when `TEST_MYSQL_URL` names a server. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
}

export interface TestDatabase {
  readonly kind: TestDatabaseKind;
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

/** A connection of the test's own to a test database on MySQL (another client, beside the app). */
export function connectTo(config: DatabaseConfig): Promise<Connection> {
  if (config.type !== 'mysql') throw new Error('a MySQL test database was expected');
  return createConnection({
    host: config.host,
    port: config.port,
    user: config.username,
    password: config.password,
    database: config.database,
  });
}

/** Whether the MySQL server under `dataSource` is MariaDB (its `VERSION()` says so). */
export async function isMariaDb(dataSource: DataSource): Promise<boolean> {
  const [{ version }] = await dataSource.query<{ version: string }[]>(
    'SELECT VERSION() AS version',
  );
  return /mariadb/i.test(version);
}

/** A brand-new, empty database: a file in a temp folder, or a new schema on the MySQL server. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'image-api-test-'));
    return {
      kind,
      config: { type: 'sqlite', path: join(dir, 'test.sqlite') },
      drop: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    };
  }
  const server = parseConfig({ DATABASE_URL: process.env.TEST_MYSQL_URL }).database;
  if (server.type !== 'mysql') throw new Error('TEST_MYSQL_URL must be a mysql:// URL');
  const name = `image_api_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = () =>
    createConnection({
      host: server.host,
      port: server.port,
      user: server.username,
      password: server.password,
    });
  const connection = await admin();
  await connection.query(
    `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  await connection.end();
  return {
    kind,
    config: { ...server, database: name, poolSize: 5 },
    drop: async () => {
      const dropper = await admin();
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}
