import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config';
import { buildDataSourceOptions, DatabaseOptionsOverrides } from './database-options';

/**
 * Opens a data source and pins the MySQL session to UTC, so that `timestamp` columns store and return
 * exactly the UTC strings the service writes, whatever the server's own time zone.
 */
export async function openDataSource(
  database: DatabaseConfig,
  overrides: DatabaseOptionsOverrides = {},
): Promise<DataSource> {
  const dataSource = new DataSource(buildDataSourceOptions(database, overrides));
  await dataSource.initialize();
  await pinUtcSessions(dataSource);
  return dataSource;
}

interface EventfulPool {
  on(event: 'connection', listener: (connection: { query(sql: string): unknown }) => void): void;
}

export async function pinUtcSessions(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'mysql') return;
  const pool = (dataSource.driver as unknown as { pool?: EventfulPool }).pool;
  pool?.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'");
  });
  // The connection TypeORM opened while initialising was made before the listener existed.
  await dataSource.query("SET time_zone = '+00:00'");
}
