import type { DataSource, EntityManager } from 'typeorm';
import type { DatabaseTimeouts } from '../config/app-config';

/**
 * Bounded database time (API.md section 10, docs/operations.md#timeouts): every statement of a
 * request stops after `DB_STATEMENT_TIMEOUT_MS` and getting a pooled connection after
 * `DB_CONNECT_TIMEOUT_MS`, so that a slow query, a database that is down or a network that
 * silently drops packets costs a request a 503 within about 5 s, never a hang.
 *
 * - MariaDB: `max_statement_time` on every session; MySQL: `max_execution_time` (SELECTs only).
 * - mysql2: a client-side limit on every statement, a little longer than the server's so the
 *   server's own error wins when it can answer; a connection whose statement timed out on the
 *   client is destroyed (mysql2 would keep it, with the silent statement still queued on it).
 * - The pool: getting a connection gives up after `connectMs` (mysql2 has no acquire timeout).
 * - SQLite: `busy_timeout` (a statement in progress cannot be interrupted; waits for a lock can).
 *
 * Migrations, seeding and pruning are exempt (`withoutStatementTimeout`).
 */

/** Which limit stopped the work: a statement's, or getting a connection. */
export type DatabaseTimeoutKind = 'statement' | 'connect';

/** The client-side limit allows this much beyond the server's, for its error to arrive first. */
export const CLIENT_MARGIN_MS = 250;

/** The code of the error a request gets when no connection came within `connectMs`. */
export const CONNECT_TIMEOUT_CODE = 'DB_CONNECT_TIMEOUT';

/** Server errors of a statement stopped by its time limit, by errno (mysql2 names only 3024). */
const SERVER_TIMEOUT_ERRNOS = new Map([
  [1969, 'ER_STATEMENT_TIMEOUT'], // MariaDB max_statement_time
  [3024, 'ER_QUERY_TIMEOUT'], // MySQL max_execution_time
]);
/** mysql2's error when a statement's client-side limit ran out. */
const CLIENT_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

/** SQLite's lock wait when no statement limit is set (and before it is applied). */
const SQLITE_DEFAULT_BUSY_MS = 10_000;

type DriverError = Error & { code?: string; errno?: number };
type Callback = (error: DriverError | null, ...results: unknown[]) => void;

/** What the limits need of a mysql2 (callback API) pool connection. */
interface PooledConnection {
  query(sql: unknown, values?: unknown, callback?: unknown): unknown;
  release(): void;
  destroy(): void;
  /** The socket (mysql2's `destroy()` only ends it: a FIN that a silent network holds back). */
  readonly stream?: { destroy(): void };
  [SESSION_LIMIT]?: number;
  [EXEMPT]?: boolean;
}

interface CallbackPool {
  getConnection(callback: (error: Error | null, connection: PooledConnection) => void): void;
}

const SESSION_LIMIT = Symbol('session statement limit (ms)');
const EXEMPT = Symbol('exempt from the statement limit');

interface Installed {
  readonly timeouts: DatabaseTimeouts;
  readonly sessionSql: (ms: number) => string;
}

const installed = new WeakMap<DataSource, Installed>();
const listeners = new WeakMap<DataSource, Set<(kind: DatabaseTimeoutKind) => void>>();

/** Calls `listener` each time a limit stops some work on this data source (the metrics count). */
export function onDatabaseTimeout(
  dataSource: DataSource,
  listener: (kind: DatabaseTimeoutKind) => void,
): void {
  let set = listeners.get(dataSource);
  if (set === undefined) {
    set = new Set();
    listeners.set(dataSource, set);
  }
  set.add(listener);
}

function emit(dataSource: DataSource, kind: DatabaseTimeoutKind): void {
  for (const listener of listeners.get(dataSource) ?? []) listener(kind);
}

/**
 * Puts the limits on a data source's connections, from now on (call it after the migrations).
 * Connections opened before get their session limit the next time they are taken from the pool.
 */
export async function applyDatabaseTimeouts(
  dataSource: DataSource,
  timeouts: DatabaseTimeouts,
): Promise<void> {
  if (dataSource.options.type !== 'mysql') {
    const busyMs = timeouts.statementMs === 0 ? SQLITE_DEFAULT_BUSY_MS : timeouts.statementMs;
    await dataSource.query(`PRAGMA busy_timeout = ${busyMs}`);
    return;
  }
  const pool = (dataSource.driver as unknown as { pool?: CallbackPool }).pool;
  if (pool === undefined || installed.has(dataSource)) return;
  const [{ version }] = await dataSource.query<{ version: string }[]>(
    'SELECT VERSION() AS version',
  );
  // MariaDB counts seconds (fractions allowed) and stops any statement; MySQL counts ms, SELECTs.
  const sessionSql = /mariadb/i.test(version)
    ? (ms: number) => `SET SESSION max_statement_time = ${ms / 1000}`
    : (ms: number) => `SET SESSION max_execution_time = ${ms}`;
  installed.set(dataSource, { timeouts, sessionSql });
  limitPool(dataSource, pool, timeouts, sessionSql);
}

function limitPool(
  dataSource: DataSource,
  pool: CallbackPool,
  timeouts: DatabaseTimeouts,
  sessionSql: (ms: number) => string,
): void {
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) => {
    let settled = false;
    const finish = (error: Error | null, connection?: PooledConnection) => {
      if (settled) {
        // Too late: the caller got its 503; the connection goes back for the next one.
        if (error === null) connection?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      callback(error, connection as PooledConnection);
    };
    const timer = setTimeout(() => {
      emit(dataSource, 'connect');
      finish(
        Object.assign(new Error(`No database connection within ${timeouts.connectMs} ms`), {
          code: CONNECT_TIMEOUT_CODE,
        }),
      );
    }, timeouts.connectMs);
    getConnection((error, connection) => {
      if (error !== null) {
        finish(error);
        return;
      }
      if (settled) {
        connection.release();
        return;
      }
      if (connection[SESSION_LIMIT] === timeouts.statementMs) {
        finish(null, connection);
        return;
      }
      limitStatements(dataSource, connection, timeouts.statementMs);
      connection.query(sessionSql(timeouts.statementMs), (sessionError: Error | null) => {
        if (sessionError !== null) {
          connection.destroy();
          finish(sessionError);
          return;
        }
        connection[SESSION_LIMIT] = timeouts.statementMs;
        finish(null, connection);
      });
    });
  };
}

/** Gives every statement of the connection a client-side limit, once per connection. */
function limitStatements(
  dataSource: DataSource,
  connection: PooledConnection,
  statementMs: number,
): void {
  if (connection[SESSION_LIMIT] !== undefined || statementMs === 0) return;
  const query = connection.query.bind(connection);
  const clientMs = statementMs + CLIENT_MARGIN_MS;
  const observe = (error: DriverError | null) => {
    if (error === null) return;
    if (error.code === CLIENT_TIMEOUT_CODE) {
      // The statement may still be on its way (a silent network): the connection is unusable,
      // and its socket goes at once, so that nothing held back reaches the server later.
      connection.destroy();
      connection.stream?.destroy();
      emit(dataSource, 'statement');
    } else if (SERVER_TIMEOUT_ERRNOS.has(error.errno ?? 0)) {
      // Named, so that the error handling knows it whatever mysql2 calls it.
      error.code = SERVER_TIMEOUT_ERRNOS.get(error.errno ?? 0);
      emit(dataSource, 'statement');
    }
  };
  connection.query = (sql: unknown, values?: unknown, callback?: unknown) => {
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    const options: Record<string, unknown> =
      typeof sql === 'object' && sql !== null ? { ...sql } : { sql };
    if (options.timeout === undefined && connection[EXEMPT] !== true) options.timeout = clientMs;
    if (typeof callback !== 'function') return query(options, values);
    const done = callback as Callback;
    return query(options, values, (error: DriverError | null, ...results: unknown[]) => {
      observe(error);
      done(error, ...results);
    });
  };
}

/**
 * Runs `work` on a connection of its own with no statement limit: migrations, seeding, pruning,
 * waits for a lock. On SQLite it just runs `work` (there is one connection, and its statements
 * cannot be interrupted anyway).
 */
export async function withoutStatementTimeout<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const limits = installed.get(dataSource);
  if (limits === undefined || limits.timeouts.statementMs === 0) return work(dataSource.manager);
  const runner = dataSource.createQueryRunner();
  try {
    const connection = (await runner.connect()) as PooledConnection;
    connection[EXEMPT] = true;
    await runner.query(limits.sessionSql(0));
    try {
      return await work(runner.manager);
    } finally {
      try {
        await runner.query(limits.sessionSql(limits.timeouts.statementMs));
        connection[EXEMPT] = false;
      } catch {
        // Not put back in the pool without its limit.
        connection.destroy();
      }
    }
  } finally {
    await runner.release();
  }
}
