import type { DataSource, EntityManager } from 'typeorm';
import type { DatabaseTimeouts } from '../config/app-config';

/**
 * Bounded database time (API.md section 10, docs/operations.md#timeouts): a request's database
 * work has one deadline, `DB_STATEMENT_TIMEOUT_MS` + `CLIENT_MARGIN_MS` after it began, that every
 * wait for a connection (also at most `DB_CONNECT_TIMEOUT_MS`) and every statement shares, so that
 * a slow query, a database that is down or a network that silently drops packets costs a request
 * a 503 within about 5 s, never a hang, however many statements it runs.
 *
 * - MariaDB: `max_statement_time` on every session; MySQL: `max_execution_time` (SELECTs only).
 * - mysql2: a client-side limit on every statement, a little longer than the server's so the
 *   server's own error wins when it can answer, and never past the deadline of the work it belongs
 *   to, kept by one watchdog timer per data source; a connection whose statement timed out on the
 *   client is destroyed (mysql2 would keep it, with the silent statement still queued on it).
 * - The pool: getting a connection gives up after `connectMs` or at the deadline (mysql2 has no
 *   acquire timeout). The deadline is the caller's (`databaseDeadline`: a read request's), else
 *   it starts with the acquire and covers the connection until it is released (a transaction).
 * - SQLite: `busy_timeout` (a statement in progress cannot be interrupted; waits for a lock can).
 *
 * Migrations, seeding and pruning are exempt (`withoutStatementTimeout`).
 */

/** Which limit stopped the work: a statement's, or getting a connection. */
export type DatabaseTimeoutKind = 'statement' | 'connect';

/** The client-side limit allows this much beyond the server's, for its error to arrive first. */
export const CLIENT_MARGIN_MS = 250;

/**
 * When the database work that starts now must be over: its statements and waits for a connection
 * share this one deadline (a `performance.now()` time; `Infinity` with no statement limit).
 */
export function databaseDeadline(timeouts: DatabaseTimeouts): number {
  return timeouts.statementMs === 0
    ? Number.POSITIVE_INFINITY
    : performance.now() + timeouts.statementMs + CLIENT_MARGIN_MS;
}

/** `databaseDeadline` with the limits of a data source (`Infinity` when it has none). */
export function databaseDeadlineOf(dataSource: DataSource): number {
  const limits = installed.get(dataSource);
  return limits === undefined ? Number.POSITIVE_INFINITY : databaseDeadline(limits.timeouts);
}

/**
 * Lets a connection be held past the deadline (a lock held while other work runs): each of its
 * statements is still limited on its own.
 */
export function withoutDeadline(connection: unknown): void {
  if (typeof connection === 'object' && connection !== null)
    (connection as PooledConnection)[DEADLINE] = Number.POSITIVE_INFINITY;
}

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
  [RUNNING]?: Running[];
  [DEADLINE]?: number;
}

interface CallbackPool {
  /** `deadline`: the database work's (`databaseDeadline`); by default it starts now. */
  getConnection(
    callback: (error: Error | null, connection: PooledConnection) => void,
    deadline?: number,
  ): void;
}

const SESSION_LIMIT = Symbol('session statement limit (ms)');
const EXEMPT = Symbol('exempt from the statement limit');
const RUNNING = Symbol('the statements in flight');
const DEADLINE = Symbol('when the work on the connection must be over (performance.now())');

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
  const budgetMs =
    timeouts.statementMs === 0 ? Number.POSITIVE_INFINITY : timeouts.statementMs + CLIENT_MARGIN_MS;
  pool.getConnection = (callback, deadline) => {
    const now = performance.now();
    const end = deadline ?? now + budgetMs;
    const waitMs = Math.max(0, Math.min(timeouts.connectMs, end - now));
    let settled = false;
    const finish = (error: Error | null, connection?: PooledConnection) => {
      if (settled) {
        // Too late: the caller got its 503; the connection goes back for the next one.
        if (error === null) connection?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (connection !== undefined) connection[DEADLINE] = end;
      callback(error, connection as PooledConnection);
    };
    const timer = setTimeout(() => {
      emit(dataSource, 'connect');
      finish(
        Object.assign(new Error(`No database connection within ${Math.round(waitMs)} ms`), {
          code: CONNECT_TIMEOUT_CODE,
        }),
      );
    }, waitMs);
    // Nothing left of the deadline: not a connection taken only to be thrown away.
    if (waitMs === 0) return;
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
      if (connection[SESSION_LIMIT] === undefined) {
        shape(connection);
        limitStatements(dataSource, connection, timeouts.statementMs);
      }
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

/**
 * Adds every property the limits keep on a connection at once, in one order, before its next
 * statement: mysql2's packet handler, which reads the connection's fields on every packet, then
 * sees few connection shapes and stays fast (docs/PERFORMANCE.md, "One connection shape").
 */
function shape(connection: PooledConnection): void {
  connection[SESSION_LIMIT] = -1;
  connection[EXEMPT] = false;
  connection[RUNNING] = [];
  connection[DEADLINE] = Number.POSITIVE_INFINITY;
}

/** A statement in flight on a connection, and when it must have answered. */
interface Running {
  readonly deadline: number;
  settled: boolean;
  readonly callback: Callback;
}

/** How often the watchdog looks at the statements in flight (the limit's granularity). */
const WATCHDOG_TICK_MS = 50;

/**
 * The client-side statement limit as one timer per data source, not mysql2's `timeout` option
 * (a timer, a bound function and a copied options object per statement: 17 % of a page-1 read's
 * instructions, docs/PERFORMANCE.md). Statements that never answer are failed with mysql2's own
 * timeout error, and their connection is destroyed.
 */
class StatementWatchdog {
  private readonly busy = new Set<PooledConnection>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly expire: (connection: PooledConnection) => void) {}

  watch(connection: PooledConnection): void {
    this.busy.add(connection);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), WATCHDOG_TICK_MS);
      this.timer.unref();
    }
  }

  unwatch(connection: PooledConnection): void {
    this.busy.delete(connection);
  }

  private check(): void {
    const now = performance.now();
    for (const connection of this.busy) {
      const first = connection[RUNNING]?.[0];
      if (first === undefined) this.busy.delete(connection);
      else if (first.deadline <= now) {
        this.busy.delete(connection);
        this.expire(connection);
      }
    }
  }
}

const watchdogs = new WeakMap<DataSource, StatementWatchdog>();

function clientTimeoutError(): DriverError {
  // What mysql2's own `timeout` option fails a statement with.
  return Object.assign(new Error('Query inactivity timeout'), { code: CLIENT_TIMEOUT_CODE });
}

/** Gives every statement of the connection a client-side limit, once per connection. */
function limitStatements(
  dataSource: DataSource,
  connection: PooledConnection,
  statementMs: number,
): void {
  if (statementMs === 0) return;
  const query = connection.query.bind(connection);
  const clientMs = statementMs + CLIENT_MARGIN_MS;
  let watchdog = watchdogs.get(dataSource);
  if (watchdog === undefined) {
    watchdog = new StatementWatchdog((expired) => {
      // The statement may still be on its way (a silent network): the connection is unusable,
      // and its socket goes at once, so that nothing held back reaches the server later.
      const running = (expired[RUNNING] ?? []).splice(0);
      expired.destroy();
      expired.stream?.destroy();
      emit(dataSource, 'statement');
      for (const statement of running) {
        statement.settled = true;
        statement.callback(clientTimeoutError());
      }
    });
    watchdogs.set(dataSource, watchdog);
  }
  const running: Running[] = connection[RUNNING] ?? [];
  const observe = (error: DriverError | null) => {
    if (error !== null && SERVER_TIMEOUT_ERRNOS.has(error.errno ?? 0)) {
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
    if (connection[EXEMPT] === true) return query(sql, values, callback);
    if (typeof callback !== 'function') {
      // A streamed statement: mysql2's own limit (rare; the read and write paths pass callbacks).
      const options = typeof sql === 'object' && sql !== null ? { ...sql } : { sql };
      return query({ timeout: clientMs, ...options }, values);
    }
    // The statement's own limit, or what is left of its work's, whichever ends first.
    const statement: Running = {
      deadline: Math.min(
        performance.now() + clientMs,
        connection[DEADLINE] ?? Number.POSITIVE_INFINITY,
      ),
      settled: false,
      callback: callback as Callback,
    };
    running.push(statement);
    watchdog.watch(connection);
    return query(sql, values, (error: DriverError | null, rows: unknown, fields: unknown) => {
      if (statement.settled) return;
      statement.settled = true;
      const at = running.indexOf(statement);
      if (at !== -1) running.splice(at, 1);
      if (running.length === 0) watchdog.unwatch(connection);
      observe(error);
      statement.callback(error, rows, fields);
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
