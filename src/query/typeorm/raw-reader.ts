import type { DataSource } from 'typeorm';
import type { RawRow } from '../resource-renderer';
import { dialectOf, SqlDialect, SqlStatement } from './sql-fragments';

/**
 * Runs the read path's statements on the connections TypeORM opened, without a query runner per
 * statement: on MySQL/MariaDB straight on its `mysql2` pool, on SQLite on its `better-sqlite3`
 * handle with prepared statements kept by SQL text. A list request is 1–5 small statements, and
 * TypeORM's query builder and runner were most of the database layer's CPU (see
 * docs/PERFORMANCE.md). Each statement still goes through TypeORM's logger, as TypeORM would log it.
 */

interface MysqlConnection {
  query(
    sql: string,
    parameters: readonly unknown[],
    callback: (error: (Error & { errno?: number }) | null, rows: unknown) => void,
  ): void;
  release(): void;
  destroy(): void;
}

export interface MysqlPool {
  /** `deadline`: when the request's database work must be over (database-timeouts.ts). */
  getConnection(
    callback: (error: Error | null, connection: MysqlConnection) => void,
    deadline?: number,
  ): void;
}

/**
 * The errors after which mysql2's own `pool.query` drops the connection instead of returning it:
 * the server turned read-only under it (a failover), so the next statement wants a new one.
 */
const READ_ONLY_ERRNOS = new Set([
  1290, // ER_OPTION_PREVENTS_STATEMENT (Aurora during a failover)
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1836, // ER_READ_ONLY_MODE
]);

interface SqliteStatement {
  all(...parameters: unknown[]): unknown[];
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

/** Prepared SQLite statements kept per reader; the distinct texts of valid queries are bounded. */
const MAX_PREPARED = 512;

export class RawReader {
  readonly dialect: SqlDialect;
  /** SQLite only (none on a request's reader for MySQL, `within`). */
  private prepared?: Map<string, SqliteStatement>;
  /** The handle the prepared statements belong to (a re-initialised data source has a new one). */
  private preparedOn?: SqliteDatabase;

  private constructor(
    private readonly dataSource: DataSource,
    /** When the request's database work must be over (`databaseDeadline`); undefined: none. */
    private readonly deadline?: number,
    dialect = dialectOf(dataSource),
  ) {
    this.dialect = dialect;
  }

  private static readonly readers = new WeakMap<DataSource, RawReader>();

  /** The reader of a data source (one per data source). */
  static of(dataSource: DataSource): RawReader {
    let reader = RawReader.readers.get(dataSource);
    if (reader === undefined) {
      reader = new RawReader(dataSource);
      RawReader.readers.set(dataSource, reader);
    }
    return reader;
  }

  /**
   * This reader for one request's statements, which share its database deadline (MySQL/MariaDB;
   * SQLite statements cannot be interrupted).
   */
  within(deadline: number): RawReader {
    if (this.dataSource.options.type !== 'mysql') return this;
    return new RawReader(this.dataSource, deadline, this.dialect);
  }

  /** The rows of a SELECT, keyed by column name. */
  all<T = RawRow>(statement: SqlStatement): Promise<T[]> {
    this.dataSource.logger.logQuery(statement.sql, [...statement.parameters]);
    const driver = this.dataSource.driver as unknown as {
      pool?: MysqlPool;
      databaseConnection?: SqliteDatabase;
    };
    if (this.dataSource.options.type === 'mysql' && driver.pool !== undefined) {
      return mysqlQuery<T>(driver.pool, statement, this.deadline);
    }
    if (driver.databaseConnection !== undefined) {
      try {
        const rows = this.sqliteStatement(driver.databaseConnection, statement.sql).all(
          ...statement.parameters.map(sqliteValue),
        );
        return Promise.resolve(rows as T[]);
      } catch (error) {
        return Promise.reject(driverError(error));
      }
    }
    // Any other driver: through TypeORM.
    return this.dataSource.query<T[]>(statement.sql, [...statement.parameters]);
  }

  /** `all` for plain SQL (what `SqlRunner` callers such as the change versions use). */
  query(sql: string, parameters: readonly unknown[] = []): Promise<RawRow[]> {
    return this.all({ sql, parameters });
  }

  private sqliteStatement(database: SqliteDatabase, sql: string): SqliteStatement {
    if (this.prepared === undefined || this.preparedOn !== database) {
      this.prepared = new Map();
      this.preparedOn = database;
    }
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      if (this.prepared.size >= MAX_PREPARED) this.prepared.clear();
      statement = database.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}

/**
 * One statement on a connection taken from the pool and handed back once its rows are in, as
 * mysql2's own `pool.execute` does. Not `pool.query`: measured with mysql2 3.24 under load, a read
 * path on `pool.query` kept a quarter of what it allocated alive through young-generation
 * collections, which V8 then promoted, so it ran a full collection about every 0.7 s; taking the
 * connection by hand, almost nothing survives (docs/PERFORMANCE.md, "Garbage collection").
 */
export function mysqlQuery<T>(
  pool: MysqlPool,
  statement: SqlStatement,
  deadline?: number,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    pool.getConnection((connectionError, connection) => {
      if (connectionError) {
        reject(connectionError);
        return;
      }
      try {
        connection.query(statement.sql, statement.parameters, (error, rows) => {
          if (error !== null && READ_ONLY_ERRNOS.has(error.errno ?? 0)) connection.destroy();
          else connection.release();
          if (error) reject(error);
          else resolve(rows as T[]);
        });
      } catch (error) {
        connection.release();
        reject(driverError(error));
      }
    }, deadline);
  });
}

/**
 * A driver's error as it was thrown, `code` and all. Not `instanceof Error` alone: better-sqlite3
 * creates its errors from the native side, with the `Error` of the realm the addon was loaded in,
 * which need not be the caller's (under Jest it is not).
 */
function driverError(error: unknown): Error {
  return typeof error === 'object' && error !== null ? (error as Error) : new Error(String(error));
}

/**
 * better-sqlite3 binds every JS number as REAL; whole numbers go as BigInt (INTEGER), as TypeORM
 * writes them into the SQL text.
 */
function sqliteValue(value: unknown): unknown {
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
}
