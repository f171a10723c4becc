import { dirname } from 'node:path';
import type { DataSourceOptions, LoggerOptions, Logger } from 'typeorm';
import { makeFolderSync } from '../common/folders';
import type { DatabaseConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { createQueryFormat } from './query-format';

export interface DatabaseOptionsOverrides {
  /**
   * The entities TypeORM maps (`ENTITIES` of `src/entities.ts` for the app); none for a source that
   * only runs SQL (the read replicas, the seeder).
   */
  readonly entities?: DataSourceOptions['entities'];
  /** Capture a stack for every query (mysql2 `trace`); costly, so only for development. */
  readonly traceQueries?: boolean;
  readonly logging?: LoggerOptions;
  readonly logger?: Logger;
  /** How long mysql2 waits for a new connection's handshake (its default: 10 s). */
  readonly connectTimeoutMs?: number;
}

/**
 * The one place that turns configuration into TypeORM options, used by the app, `ormconfig.ts`
 * (the migration CLI), the seeder and the tests.
 */
export function buildDataSourceOptions(
  database: DatabaseConfig,
  overrides: DatabaseOptionsOverrides = {},
): DataSourceOptions {
  const common = {
    entities: overrides.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: overrides.logging ?? false,
    logger: overrides.logger,
  };

  if (database.type === 'sqlite') {
    if (database.path !== ':memory:') makeFolderSync(dirname(database.path));
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      enableWAL: database.path !== ':memory:',
      // better-sqlite3 has no pool: one connection, so one writer; wait instead of failing on a lock.
      timeout: 10_000,
      prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
        db.pragma('busy_timeout = 10000');
        db.pragma('synchronous = NORMAL');
      },
    };
  }

  return {
    ...common,
    type: 'mysql',
    connectorPackage: 'mysql2',
    host: database.host,
    port: database.port,
    username: database.username,
    password: database.password,
    database: database.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    // Timestamps travel as strings so microseconds survive (JS Dates stop at milliseconds).
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: database.poolSize,
    connectTimeout: overrides.connectTimeoutMs,
    extra: {
      trace: overrides.traceQueries ?? false,
      connectionLimit: database.poolSize,
      waitForConnections: true,
      enableKeepAlive: true,
      queryFormat: createQueryFormat(),
    },
  };
}
