import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { changeVersionsBump, type SqlRunner, type SqlStatement } from './change-versions';
import { databaseDeadlineOf } from './database-timeouts';
import { inMysqlTransaction } from './mysql-transaction';
import { LockedRun, tryWithServerLock } from './server-lock';
import { inSqliteTransaction, sqliteLockDeadline } from './sqlite-transaction';

const MAX_DEADLOCK_ATTEMPTS = 3;
/** The code of an insert refused for its generated id (a 503, like the driver codes it sits with). */
const ID_OUT_OF_RANGE = 'ID_OUT_OF_RANGE';

function isDeadlock(error: unknown): boolean {
  const coded = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return coded?.code === 'ER_LOCK_DEADLOCK' || coded?.driverError?.code === 'ER_LOCK_DEADLOCK';
}

/**
 * One transaction of the unit of work: its SQL (plain statements, `?` parameters), the tables it
 * wrote, its commit listeners.
 */
export class WriteTransaction implements SqlRunner {
  private readonly changedTables = new Set<string>();
  private readonly commitListeners: (() => void)[] = [];

  constructor(
    private readonly runner: SqlRunner,
    /** MySQL: rows read `FOR UPDATE` stay locked until the end (SQLite has one writer anyway). */
    readonly lockRows: boolean,
    private readonly driver: { escape(identifier: string): string },
  ) {}

  /** Marks tables as written: their change versions are bumped just before the commit. */
  changed(...tables: string[]): void {
    for (const table of tables) this.changedTables.add(table);
  }

  query(sql: string, parameters?: unknown[]): Promise<unknown> {
    return this.runner.query(sql, parameters);
  }

  execute(sql: string, parameters?: readonly unknown[]): Promise<unknown> {
    return this.runner.query(sql, parameters as unknown[] | undefined);
  }

  /** An identifier quoted as the database quotes it. */
  quote(identifier: string): string {
    return this.driver.escape(identifier);
  }

  /** Runs an `INSERT` of one row; resolves to its generated id. */
  async insert(sql: string, parameters: readonly unknown[]): Promise<number> {
    // mysql2 answers an INSERT with its result header; TypeORM's SQLite runner with the last row id.
    const result = (await this.execute(sql, parameters)) as { insertId: number } | number | bigint;
    const id = Number(typeof result === 'object' ? result.insertId : result);
    // Past 2^53 - 1 an id no longer survives a JSON number: refused (and rolled back), never
    // answered as a neighbour's id.
    if (!Number.isSafeInteger(id)) {
      throw Object.assign(
        new Error(`the database generated id ${String(id)}, past 2^53 - 1 (docs/database.md)`),
        { code: ID_OUT_OF_RANGE },
      );
    }
    return id;
  }

  /** Runs `listener` once the transaction has committed (never after a rollback), in order. */
  afterCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** @internal */
  tablesChanged(): string[] {
    return [...this.changedTables];
  }

  /** @internal */
  listeners(): readonly (() => void)[] {
    return this.commitListeners;
  }
}

/**
 * The one owner of write transactions. MySQL: a deadlock is retried (the work runs again in a new
 * transaction). SQLite (better-sqlite3): TypeORM shares one connection between all requests, so two
 * transactions open at once would nest as savepoints of each other (and a rollback could take the
 * other's write along): transactions wait their turn in one queue.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger(UnitOfWork.name);
  /** The tail of the SQLite write queue. */
  private sqliteWrites: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction; the change versions of the tables it wrote are bumped last
   * (the version rows stay locked only for the commit; conditional GETs read them), then, after
   * the commit, its listeners run. MySQL: the attempts share one database deadline
   * (database-timeouts.ts), from the wait for the first one's connection.
   */
  async run<T>(work: (transaction: WriteTransaction) => Promise<T>): Promise<T> {
    let committed: WriteTransaction | undefined;
    const inTransaction = async (runner: SqlRunner) => {
      const transaction = new WriteTransaction(runner, this.isMysql, this.dataSource.driver);
      const result = await work(transaction);
      committed = transaction;
      return result;
    };
    // The last statement before the COMMIT (on MariaDB in its round trip: mysql-transaction.ts).
    const bump = () => changeVersionsBump(committed!.tablesChanged());
    const result = await (this.isMysql
      ? this.retryOnDeadlock(databaseDeadlineOf(this.dataSource), inTransaction, bump)
      : this.sqliteTransaction(inTransaction, bump));
    for (const listener of committed!.listeners()) {
      try {
        listener();
      } catch (error) {
        this.logger.error(error);
      }
    }
    return result;
  }

  /**
   * Statements run outside a request (the event relay, the file clean-up): on MySQL on the pool as
   * they are; on SQLite as a short transaction in the write queue, since on the one connection a
   * statement run while a write is open would become part of it (and see its uncommitted rows).
   */
  statements<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.isMysql ? work(this.dataSource.manager) : this.sqliteTransaction(work);
  }

  /**
   * A transaction in the SQLite write queue (sqlite-transaction.ts); the wait for the queue and for
   * another connection's lock share one deadline.
   */
  private sqliteTransaction<T>(
    work: (manager: EntityManager) => Promise<T>,
    last?: () => SqlStatement | undefined,
  ): Promise<T> {
    const deadline = sqliteLockDeadline(this.dataSource);
    return this.queued(() => inSqliteTransaction(this.dataSource, deadline, work, last));
  }

  /**
   * Runs `work` unless another holder has the lock `purpose`, one holder across all instances
   * sharing the database (server-lock.ts: MySQL `GET_LOCK`; SQLite, one process per file, an
   * in-process flag); never waits for it.
   */
  withLock<T>(purpose: string, work: () => Promise<T>): Promise<LockedRun<T>> {
    return tryWithServerLock(this.dataSource, purpose, work);
  }

  /** Whether the database is MySQL/MariaDB (else SQLite). */
  get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql';
  }

  private async retryOnDeadlock<T>(
    deadline: number,
    inTransaction: (runner: SqlRunner) => Promise<T>,
    last: () => SqlStatement | undefined,
  ): Promise<T> {
    for (let attempts = 1; ; attempts += 1) {
      try {
        return await inMysqlTransaction(this.dataSource, deadline, inTransaction, last);
      } catch (error) {
        if (!isDeadlock(error) || attempts >= MAX_DEADLOCK_ATTEMPTS) throw error;
      }
    }
  }

  private async queued<T>(run: () => Promise<T>): Promise<T> {
    const previous = this.sqliteWrites;
    let release!: () => void;
    this.sqliteWrites = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await run();
    } finally {
      release();
    }
  }
}
