import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';
import type { SqlStatement } from './change-versions';

/** What a write transaction needs of better-sqlite3's handle, TypeORM's one SQLite connection. */
interface SqliteHandle {
  pragma(source: string, options: { simple: true }): unknown;
  exec(source: string): unknown;
  readonly inTransaction: boolean;
}

function handleOf(dataSource: DataSource): SqliteHandle {
  return (dataSource.driver as unknown as { databaseConnection: SqliteHandle }).databaseConnection;
}

/** The longest pause between two tries for another connection's write lock. */
const MAX_PAUSE_MS = 20;

/**
 * When a write that starts now must have the file's write lock: the connection's `busy_timeout`
 * from now (`DB_STATEMENT_TIMEOUT_MS`, database-timeouts.ts). Taken before the write queues, so
 * writes waiting behind one another share it.
 */
export function sqliteLockDeadline(dataSource: DataSource): number {
  return performance.now() + Number(handleOf(dataSource).pragma('busy_timeout', { simple: true }));
}

/**
 * Runs `work` in one write transaction on the SQLite file, by hand rather than through TypeORM's
 * `transaction`, whose query runner believed itself still in a transaction after SQLite had rolled
 * one back on its own (a full disk does): every later write then became a savepoint of a
 * transaction that never committed (found by a probe).
 *
 * - `BEGIN IMMEDIATE` takes the write lock first: a transaction begun as a read cannot wait to
 *   upgrade it. While another connection holds it (an operator's `sqlite3`, `npm run prune`), the
 *   tries are spaced by timers until `deadline`, since better-sqlite3 waits `busy_timeout` with
 *   the event loop stopped; then SQLITE_BUSY (503).
 * - `last` (asked once the work is done), COMMIT; on an error ROLLBACK, unless SQLite rolled back
 *   already.
 */
export async function inSqliteTransaction<T>(
  dataSource: DataSource,
  deadline: number,
  work: (manager: EntityManager) => Promise<T>,
  last: () => SqlStatement | undefined = () => undefined,
): Promise<T> {
  const handle = handleOf(dataSource);
  dataSource.logger.logQuery('BEGIN IMMEDIATE');
  await beginImmediate(handle, deadline);
  try {
    const result = await work(dataSource.manager);
    const statement = last();
    if (statement !== undefined) {
      await dataSource.manager.query(statement.sql, statement.parameters);
    }
    await dataSource.manager.query('COMMIT');
    return result;
  } catch (error) {
    // The error the work met is the answer's; a ROLLBACK that fails too is logged by TypeORM.
    if (handle.inTransaction) await dataSource.manager.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function beginImmediate(handle: SqliteHandle, deadline: number): Promise<void> {
  const busyMs = Number(handle.pragma('busy_timeout', { simple: true }));
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    handle.pragma('busy_timeout = 0', { simple: true });
    try {
      handle.exec('BEGIN IMMEDIATE');
      return;
    } catch (error) {
      const busy = (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
      if (!busy || performance.now() + pause > deadline) throw error;
    } finally {
      handle.pragma(`busy_timeout = ${busyMs}`, { simple: true });
    }
    await sleep(pause);
  }
}
