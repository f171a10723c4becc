import { type DataSource, MigrationExecutor } from 'typeorm';
import { serverLockName } from './server-lock';

/** How long an instance waits for another one's migrations before it gives up starting. */
const MIGRATION_LOCK_WAIT_S = 120;

/** The migrations running now, if any (main.ts: a stop asked for meanwhile waits for them). */
let running: Promise<unknown> | undefined;

/**
 * Resolves once the migrations running now are over (done or failed); undefined when none run.
 * MySQL's DDL commits statement by statement: a process that exited in the middle of a migration
 * left its tables half made and unrecorded, and every later start failed on them (found by a
 * probe).
 */
export function migrationsRunning(): Promise<void> | undefined {
  return running?.then(
    () => undefined,
    () => undefined,
  );
}

async function runMigrations(dataSource: DataSource): Promise<void> {
  const migrating = dataSource.runMigrations();
  running = migrating;
  try {
    await migrating;
  } finally {
    running = undefined;
  }
}

/**
 * Runs the pending migrations. On MySQL/MariaDB under a server-wide `GET_LOCK`, so that instances
 * starting together (two replicas of a Deployment, `docker compose up` of a fleet) run them once:
 * MySQL's DDL is not transactional, so a second runner would fail on a table the first created.
 * The others wait, then find nothing left to run.
 */
export async function runMigrationsOnce(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'mysql') {
    await runMigrations(dataSource);
    return;
  }
  const name = serverLockName('migrations', String(dataSource.options.database));
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
      await runMigrations(dataSource);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * With `DB_MIGRATE=false`, start-up refuses a database that still has migrations to apply: it
 * would pass its readiness check and answer every request with a 500 (found by a probe).
 */
export async function assertNoPendingMigrations(dataSource: DataSource): Promise<void> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  if (pending.length === 0) return;
  throw new Error(
    `DB_MIGRATE=false, and the database has ${pending.length} migration${pending.length === 1 ? '' : 's'} ` +
      'to apply: run npm run migration:run, or start once with DB_MIGRATE=true',
  );
}

/**
 * Start-up refuses a database that a newer build migrated: it has migrations this build does not
 * know (a rollback that left them in place). The schema may have renamed or dropped what this
 * build reads, and every request would answer 500 while readiness said 200 (found by a probe).
 */
export async function assertNoUnknownMigrations(dataSource: DataSource): Promise<void> {
  const known = new Set(dataSource.migrations.map((migration) => migration.name));
  const executed = await new MigrationExecutor(dataSource).getExecutedMigrations();
  const unknown = executed.filter((migration) => !known.has(migration.name));
  if (unknown.length === 0) return;
  throw new Error(
    `the database has ${unknown.length} migration${unknown.length === 1 ? '' : 's'} this build does not know ` +
      `(${unknown.map((migration) => migration.name).join(', ')}): a newer build migrated it; ` +
      'start that build, or revert them with it first (npm run migration:revert)',
  );
}
