import type { DataSource, QueryRunner } from 'typeorm';
import { bumpChangeVersions } from '../database/change-versions';
import { BatchInserter, readInsertLimits } from './batch-inserter';
import {
  DemoDataGenerator,
  DemoDataOptions,
  SEED_COLUMNS,
  SEED_DEPENDENCIES,
  SEED_TABLES,
  SeedTable,
  sizeForImages,
} from './demo-data.generator';

export interface SeedOptions {
  readonly images: number;
  /** Defaults for the other tables keep the demo's proportions (see `sizeForImages`). */
  readonly anime?: number;
  readonly artists?: number;
  readonly studios?: number;
  readonly playlists?: number;
  /** Default 1; the same seed and sizes always give the same rows. */
  readonly seed?: number;
  /** Empty every table first; without it a database that holds rows is refused. */
  readonly reset?: boolean;
  /** Rows per transaction; default 50,000. */
  readonly commitEvery?: number;
}

export interface SeedProgress {
  /** The table just written to. */
  readonly table: SeedTable;
  readonly rowsDone: number;
  readonly rowsPlanned: number;
}

export interface SeedResult {
  readonly options: DemoDataOptions;
  readonly rows: Readonly<Record<SeedTable, number>>;
  readonly totalRows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** A seeding request that can't be carried out; the message says why and what to do. */
export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

export const MAX_SEED_ROWS = 100_000_000;
/** PRAGMA cache_size while seeding SQLite: negative means KiB, so 128 MiB. */
const SQLITE_SEED_CACHE = -131_072;

/** Fills in the defaults and checks every count. */
export function resolveSeedOptions(options: SeedOptions): DemoDataOptions {
  const check = (name: string, value: number): number => {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SEED_ROWS) {
      throw new SeedError(`${name} must be an integer from 0 to ${MAX_SEED_ROWS} (got ${value})`);
    }
    return value;
  };
  const defaults = sizeForImages(check('images', options.images));
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SeedError(`seed must be an integer from 0 to 4294967295 (got ${seed})`);
  }
  return {
    images: options.images,
    anime: check('anime', options.anime ?? defaults.anime),
    artists: check('artists', options.artists ?? defaults.artists),
    studios: check('studios', options.studios ?? defaults.studios),
    playlists: check('playlists', options.playlists ?? defaults.playlists),
    seed,
  };
}

/** Rows per table of the data model. */
export async function countRows(
  source: DataSource | QueryRunner,
): Promise<Record<SeedTable, number>> {
  const driver = 'driver' in source ? source.driver : source.connection.driver;
  const escape = (name: string) => driver.escape(name);
  const counts = {} as Record<SeedTable, number>;
  for (const table of SEED_TABLES) {
    const [{ count }] = (await source.query(`SELECT COUNT(*) AS count FROM ${escape(table)}`)) as {
      count: number | string;
    }[];
    counts[table] = Number(count);
  }
  return counts;
}

/** True when no table of the data model holds a row. */
export async function isDatabaseEmpty(source: DataSource | QueryRunner): Promise<boolean> {
  const counts = await countRows(source);
  return SEED_TABLES.every((table) => counts[table] === 0);
}

/**
 * Deletes every row of the data model (children first) and restarts the ids, in one transaction
 * with the bump of their change versions: a read sees the tables full or empty, each under its own
 * version. (MySQL's TRUNCATE was quicker, but each one commits on its own: a read between two sent
 * a half-emptied state under the full one's tag, found by a probe.)
 */
export async function clearTables(runner: QueryRunner): Promise<void> {
  const escape = (name: string) => runner.connection.driver.escape(name);
  const mysql = runner.connection.options.type === 'mysql';
  await runner.startTransaction();
  try {
    for (const table of [...SEED_TABLES].reverse()) {
      await runner.query(`DELETE FROM ${escape(table)}`);
    }
    if (!mysql) {
      await runner.query(
        `DELETE FROM sqlite_sequence WHERE name IN (${SEED_TABLES.map(() => '?').join(', ')})`,
        SEED_TABLES,
      );
    }
    await bumpChangeVersions(runner, SEED_TABLES);
    await runner.commitTransaction();
  } catch (error) {
    // The failure is the answer, not a rollback that finds none (BatchInserter.abort).
    await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  }
  // An empty InnoDB table's counter goes back to 1 (a change of the table's options only).
  if (mysql) {
    for (const table of SEED_TABLES) {
      await runner.query(`ALTER TABLE ${escape(table)} AUTO_INCREMENT = 1`);
    }
  }
}

/**
 * Fills a migrated database (MySQL/MariaDB or SQLite) with a generated data set: multi-row INSERTs
 * sized to the database's limits, in transactions, on one connection. Ids are written explicitly
 * (1..n per table), so the database must be empty, or emptied first with `reset`. The benchmark
 * and the `npm run seed` command both call this.
 */
export async function seedDatabase(
  dataSource: DataSource,
  options: SeedOptions,
  onProgress?: (progress: SeedProgress) => void,
): Promise<SeedResult> {
  const resolved = resolveSeedOptions(options);
  const generator = new DemoDataGenerator(resolved);
  const started = performance.now();
  const runner = dataSource.createQueryRunner('master');
  try {
    await runner.connect();
    if (!(await runner.hasTable('images'))) {
      throw new SeedError(
        'The database has no tables yet: run the migrations first (npm run migration:run).',
      );
    }
    if (options.reset === true) {
      await clearTables(runner);
    } else {
      const counts = await countRows(runner);
      const filled = SEED_TABLES.filter((table) => counts[table] > 0);
      if (filled.length > 0) {
        throw new SeedError(
          `The database already holds rows (${filled.map((t) => `${t}: ${counts[t]}`).join(', ')}); ` +
            'seed with --reset to replace them.',
        );
      }
    }

    const rows = Object.fromEntries(SEED_TABLES.map((table) => [table, 0])) as Record<
      SeedTable,
      number
    >;
    let rowsDone = 0;
    const inserter = new BatchInserter<SeedTable>(runner, {
      columns: SEED_COLUMNS,
      dependencies: SEED_DEPENDENCIES,
      limits: await readInsertLimits(runner),
      commitEvery: options.commitEvery ?? 50_000,
      // Conditional GETs and the response cache (change-versions.ts): each batch commits with a
      // new version, so no tag names two states of the tables, however the seed ends. Bumped only
      // before and after the fill, a seed stopped halfway left the tables changed under the old
      // tag, and caches answered the state before the last batches (found by a probe).
      beforeCommit: () => bumpChangeVersions(runner, SEED_TABLES),
      onFlush: (table, count) => {
        rows[table] += count;
        rowsDone += count;
        onProgress?.({ table, rowsDone, rowsPlanned: generator.plan.totalRows });
      },
    });
    // The generator only writes rows whose parents it wrote before; on MySQL, checking every
    // pivot row's two parents again costs a third of the time, so this session skips the checks.
    const isMysql = runner.connection.options.type === 'mysql';
    if (isMysql) await runner.query('SET SESSION foreign_key_checks = 0');
    // SQLite's default 2 MiB page cache makes every index insert of a big seed a read from the OS:
    // with 128 MiB a million images seed about a fifth faster. Only pages in use take memory.
    const sqliteCache = isMysql
      ? undefined
      : ((await runner.query('PRAGMA cache_size')) as { cache_size: number }[])[0].cache_size;
    if (sqliteCache !== undefined) await runner.query(`PRAGMA cache_size = ${SQLITE_SEED_CACHE}`);
    try {
      for (const [table, row] of generator.rows()) {
        if (inserter.push(table, row)) await inserter.flush(table);
      }
      await inserter.finish();
    } catch (error) {
      await inserter.abort();
      throw error;
    } finally {
      // The connection goes back to the pool: never leave it without the checks.
      if (isMysql) await runner.query('SET SESSION foreign_key_checks = 1');
      if (sqliteCache !== undefined) await runner.query(`PRAGMA cache_size = ${sqliteCache}`);
    }

    const seconds = (performance.now() - started) / 1000;
    return {
      options: resolved,
      rows,
      totalRows: rowsDone,
      seconds,
      rowsPerSecond: seconds > 0 ? Math.round(rowsDone / seconds) : rowsDone,
    };
  } finally {
    await runner.release();
  }
}
