import type { QueryRunner } from 'typeorm';

export type InsertValue = string | number | null;

/** How big one multi-row INSERT may get. */
export interface InsertLimits {
  /** Bound parameters per statement: SQLite allows 32,766; MySQL prepared statements 65,535. */
  readonly maxParameters: number;
  /** Bytes of SQL per statement: MySQL rejects a statement over `max_allowed_packet`. */
  readonly maxStatementBytes: number;
}

export const SQLITE_MAX_PARAMETERS = 32_766;
export const MYSQL_MAX_PARAMETERS = 65_535;
/** Past a few MiB a bigger statement is no faster; it only risks the packet limit. */
export const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;

/**
 * The limits of the connected database: SQLite's bound-parameter ceiling, or for MySQL/MariaDB half
 * of the server's `max_allowed_packet` (the SQL text is sent whole; half leaves room for escaping
 * and for multi-byte characters the estimate counts as one byte).
 */
export async function readInsertLimits(runner: QueryRunner): Promise<InsertLimits> {
  if (runner.connection.options.type !== 'mysql') {
    return { maxParameters: SQLITE_MAX_PARAMETERS, maxStatementBytes: MAX_STATEMENT_BYTES };
  }
  const [{ packet }] = (await runner.query('SELECT @@max_allowed_packet AS packet')) as {
    packet: number | string;
  }[];
  return mysqlInsertLimits(Number(packet));
}

export function mysqlInsertLimits(maxAllowedPacket: number): InsertLimits {
  return {
    maxParameters: MYSQL_MAX_PARAMETERS,
    maxStatementBytes: Math.max(64 * 1024, Math.min(MAX_STATEMENT_BYTES, maxAllowedPacket / 2)),
  };
}

/** The SQL bytes one row adds to a statement: each value plus quotes and separators. */
export function estimateRowBytes(row: readonly InsertValue[]): number {
  let bytes = 4;
  for (const value of row) bytes += (typeof value === 'string' ? value.length : 20) + 4;
  return bytes;
}

interface Buffer {
  values: InsertValue[];
  rows: number;
  bytes: number;
}

export interface BatchInserterOptions<T extends string> {
  readonly columns: Readonly<Record<T, readonly string[]>>;
  /** Tables whose buffered rows must be written before a table's own (foreign keys). */
  readonly dependencies: Readonly<Record<T, readonly T[]>>;
  readonly limits: InsertLimits;
  /** Commit after about this many rows; each batch of rows is written inside a transaction. */
  readonly commitEvery: number;
  readonly onFlush?: (table: T, rows: number) => void;
  /** Runs inside each transaction that wrote rows, just before its commit. */
  readonly beforeCommit?: () => Promise<void>;
}

/**
 * Buffers rows per table and writes them as multi-row INSERTs, each as large as the database's
 * limits allow, inside transactions of about `commitEvery` rows, all on one connection.
 */
export class BatchInserter<T extends string> {
  private readonly buffers = new Map<T, Buffer>();
  /** The last statement text per table: full batches all have the same size. */
  private readonly statements = new Map<T, { rows: number; sql: string }>();
  private rowsSinceCommit = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly runner: QueryRunner,
    private readonly options: BatchInserterOptions<T>,
  ) {}

  /** Buffers a row; returns true when the table's next statement is full and should be flushed. */
  push(table: T, row: readonly InsertValue[]): boolean {
    let buffer = this.buffers.get(table);
    if (buffer === undefined) {
      buffer = { values: [], rows: 0, bytes: 0 };
      this.buffers.set(table, buffer);
    }
    for (const value of row) buffer.values.push(value);
    buffer.rows++;
    buffer.bytes += estimateRowBytes(row);
    const width = this.options.columns[table].length;
    const { maxParameters, maxStatementBytes } = this.options.limits;
    const averageRowBytes = buffer.bytes / buffer.rows;
    return (
      buffer.values.length + width > maxParameters ||
      buffer.bytes + averageRowBytes > maxStatementBytes
    );
  }

  /**
   * Sends a table's buffered rows (after those of the tables it depends on). The statement runs
   * while the caller generates the next batch; the one before it is awaited first, so at most one
   * statement is in flight and they run in order.
   */
  async flush(table: T): Promise<void> {
    for (const parent of this.options.dependencies[table]) await this.flush(parent);
    const buffer = this.buffers.get(table);
    if (buffer === undefined || buffer.rows === 0) return;
    this.buffers.delete(table);

    await this.settle();
    if (!this.runner.isTransactionActive) await this.runner.startTransaction();
    const sent = this.runner.query(this.insertSql(table, buffer.rows), buffer.values).then(() => {
      this.options.onFlush?.(table, buffer.rows);
    });
    // Observed at once so a failure is never an unhandled rejection; `settle()` rethrows it.
    sent.catch(() => undefined);
    this.inFlight = sent;
    this.rowsSinceCommit += buffer.rows;
    if (this.rowsSinceCommit >= this.options.commitEvery) await this.commit();
  }

  /** Writes everything still buffered and commits. */
  async finish(): Promise<void> {
    for (const table of Object.keys(this.options.columns) as T[]) await this.flush(table);
    await this.commit();
  }

  /**
   * Rolls back the open transaction (after a failure, which the caller reports: SQLite may have
   * rolled back by itself, a full disk does, and the rollback's own error would hide it).
   */
  async abort(): Promise<void> {
    this.buffers.clear();
    await this.inFlight?.catch(() => undefined);
    this.inFlight = undefined;
    if (this.runner.isTransactionActive) {
      await this.runner.rollbackTransaction().catch(() => undefined);
    }
  }

  private async settle(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    await inFlight;
  }

  private async commit(): Promise<void> {
    await this.settle();
    if (this.runner.isTransactionActive) {
      await this.options.beforeCommit?.();
      await this.runner.commitTransaction();
    }
    this.rowsSinceCommit = 0;
  }

  private insertSql(table: T, rows: number): string {
    const cached = this.statements.get(table);
    if (cached?.rows === rows) return cached.sql;
    const escape = (name: string) => this.runner.connection.driver.escape(name);
    const columns = this.options.columns[table];
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const sql =
      `INSERT INTO ${escape(table)} (${columns.map(escape).join(', ')}) VALUES ` +
      Array.from({ length: rows }, () => tuple).join(', ');
    this.statements.set(table, { rows, sql });
    return sql;
  }
}
