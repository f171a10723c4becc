import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** How long an instance waits for another one's migrations before it gives up starting. */
const MIGRATION_LOCK_WAIT_S = 120;

/**
 * Runs the pending migrations. On MySQL/MariaDB under a server-wide `GET_LOCK`, so that instances
 * starting together (two replicas of a Deployment, `docker compose up` of a fleet) run them once:
 * MySQL's DDL is not transactional, so a second runner would fail on a table the first created.
 * The others wait, then find nothing left to run.
 */
export async function runMigrationsOnce(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'mysql') {
    await dataSource.runMigrations();
    return;
  }
  const name = migrationLockName(String(dataSource.options.database));
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ acquired }] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [
      name,
      MIGRATION_LOCK_WAIT_S,
    ])) as { acquired: number | string | null }[];
    if (Number(acquired) !== 1) {
      throw new Error(
        `another instance held the migration lock for over ${MIGRATION_LOCK_WAIT_S} s`,
      );
    }
    try {
      await dataSource.runMigrations();
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}

/** A server-wide lock name (at most 64 characters) for one database's migrations. */
function migrationLockName(database: string): string {
  const name = `image_api_migrations.${database}`;
  return name.length <= 64
    ? name
    : `image_api_migrations.${createHash('sha256').update(database).digest('hex').slice(0, 32)}`;
}
