import type { QueryRunner } from 'typeorm';
import {
  BatchInserter,
  estimateRowBytes,
  InsertLimits,
  InsertValue,
  mysqlInsertLimits,
  SQLITE_MAX_PARAMETERS,
} from './batch-inserter';

type Table = 'parents' | 'children';

/** A QueryRunner that records what it is asked to run. */
function recordingRunner(failOn?: RegExp) {
  const log: string[] = [];
  let active = false;
  const runner = {
    connection: {
      driver: { escape: (name: string) => `"${name}"` },
      options: { type: 'better-sqlite3' },
    },
    get isTransactionActive() {
      return active;
    },
    startTransaction: () => {
      active = true;
      log.push('BEGIN');
      return Promise.resolve();
    },
    commitTransaction: () => {
      active = false;
      log.push('COMMIT');
      return Promise.resolve();
    },
    rollbackTransaction: () => {
      active = false;
      log.push('ROLLBACK');
      return Promise.resolve();
    },
    query: (sql: string, parameters: InsertValue[]) => {
      const table = /INSERT INTO "(\w+)"/.exec(sql)?.[1];
      const rows = sql.split('), (').length;
      log.push(`${table} rows=${rows} parameters=${parameters.length} bytes=${sql.length}`);
      if (failOn?.test(sql)) return Promise.reject(new Error('boom'));
      return Promise.resolve([]);
    },
  };
  return { runner: runner as unknown as QueryRunner, log };
}

function inserter(
  runner: QueryRunner,
  limits: InsertLimits,
  commitEvery = 1_000_000,
  beforeCommit?: () => Promise<void>,
) {
  return new BatchInserter<Table>(runner, {
    columns: { parents: ['id', 'a', 'b', 'c', 'd', 'e'], children: ['parent_id', 'x'] },
    dependencies: { parents: [], children: ['parents'] },
    limits,
    commitEvery,
    beforeCommit,
  });
}

async function write(target: BatchInserter<Table>, table: Table, rows: InsertValue[][]) {
  for (const row of rows) if (target.push(table, row)) await target.flush(table);
}

const parentRows = (n: number) =>
  Array.from({ length: n }, (_, i) => [i + 1, 'anime/large-cover/x.jpg', 1, 't', 't', null]);

describe('BatchInserter', () => {
  it("should keep every statement within SQLite's 32,766 bound parameters", async () => {
    const { runner, log } = recordingRunner();
    const target = inserter(runner, {
      maxParameters: SQLITE_MAX_PARAMETERS,
      maxStatementBytes: 1e9,
    });
    await write(target, 'parents', parentRows(12_000));
    await target.finish();
    expect(log).toEqual([
      'BEGIN',
      expect.stringMatching(/^parents rows=5461 parameters=32766 /),
      expect.stringMatching(/^parents rows=5461 parameters=32766 /),
      expect.stringMatching(/^parents rows=1078 parameters=6468 /),
      'COMMIT',
    ]);
  });

  it('should keep every statement under the byte budget drawn from max_allowed_packet', async () => {
    const limits = mysqlInsertLimits(256 * 1024);
    expect(limits).toEqual({ maxParameters: 65_535, maxStatementBytes: 128 * 1024 });
    const { runner, log } = recordingRunner();
    const target = inserter(runner, limits);
    const rows = parentRows(5000).map((row) => [
      ...row.slice(0, 1),
      'p'.repeat(200),
      ...row.slice(2),
    ]);
    await write(target, 'parents', rows);
    await target.finish();
    const statements = log.filter((line) => line.startsWith('parents'));
    const sizes = statements.map((line) => Number(/bytes=(\d+)/.exec(line)?.[1]));
    const rowCounts = statements.map((line) => Number(/rows=(\d+)/.exec(line)?.[1]));
    expect(rowCounts.reduce((sum, n) => sum + n, 0)).toBe(5000);
    expect(statements.length).toBeGreaterThan(5);
    // The placeholders are far shorter than the values they stand for: compare the estimate.
    const estimated = rowCounts.map((n) => n * estimateRowBytes(rows[0]));
    expect(Math.max(...estimated)).toBeLessThanOrEqual(128 * 1024);
    expect(Math.max(...sizes)).toBeLessThan(128 * 1024);
  });

  it("should write a table's parents before its own rows", async () => {
    const { runner, log } = recordingRunner();
    const target = inserter(runner, { maxParameters: 10, maxStatementBytes: 1e9 });
    target.push('parents', [1, 'a', 1, 't', 't', null]);
    await write(target, 'children', [
      [1, 'x'],
      [1, 'y'],
      [1, 'z'],
      [1, 'w'],
      [1, 'v'],
    ]);
    await target.finish();
    expect(log).toEqual([
      'BEGIN',
      expect.stringMatching(/^parents rows=1 /),
      expect.stringMatching(/^children rows=5 /),
      'COMMIT',
    ]);
  });

  it('should commit about every commitEvery rows', async () => {
    const { runner, log } = recordingRunner();
    const target = inserter(runner, { maxParameters: 600, maxStatementBytes: 1e9 }, 250);
    await write(target, 'parents', parentRows(700));
    await target.finish();
    expect(log.map((line) => line.replace(/ parameters.*/, ''))).toEqual([
      'BEGIN',
      'parents rows=100',
      'parents rows=100',
      'parents rows=100',
      'COMMIT',
      'BEGIN',
      'parents rows=100',
      'parents rows=100',
      'parents rows=100',
      'COMMIT',
      'BEGIN',
      'parents rows=100',
      'COMMIT',
    ]);
  });

  it('should run beforeCommit inside each transaction that wrote rows, and never on abort', async () => {
    const { runner, log } = recordingRunner(/"children"/);
    const target = inserter(runner, { maxParameters: 600, maxStatementBytes: 1e9 }, 150, () => {
      log.push('bump');
      return Promise.resolve();
    });
    await write(target, 'parents', parentRows(300));
    target.push('children', [1, 'x']);
    await expect(target.finish()).rejects.toThrow('boom');
    await target.abort();
    expect(log.map((line) => line.replace(/ rows.*/, ''))).toEqual([
      'BEGIN',
      'parents',
      'parents',
      'bump',
      'COMMIT',
      'BEGIN',
      'parents',
      'children',
      'ROLLBACK',
    ]);
  });

  it('should reject with the failure and roll back on abort', async () => {
    const { runner, log } = recordingRunner(/"children"/);
    const target = inserter(runner, { maxParameters: 600, maxStatementBytes: 1e9 });
    target.push('parents', [1, 'a', 1, 't', 't', null]);
    target.push('children', [1, 'x']);
    await expect(target.finish()).rejects.toThrow('boom');
    await target.abort();
    expect(log.map((line) => line.replace(/ rows.*/, ''))).toEqual([
      'BEGIN',
      'parents',
      'children',
      'ROLLBACK',
    ]);
  });

  // Found by a probe: SQLite rolls back by itself when the disk is full, and the rollback's own
  // error ("no transaction is active") then hid the cause at start-up.
  it('should not fail its abort when the rollback finds no transaction', async () => {
    const { runner, log } = recordingRunner(/"children"/);
    (runner as unknown as { rollbackTransaction(): Promise<void> }).rollbackTransaction = () => {
      log.push('ROLLBACK failed');
      return Promise.reject(new Error('cannot rollback - no transaction is active'));
    };
    const target = inserter(runner, { maxParameters: 600, maxStatementBytes: 1e9 });
    target.push('parents', [1, 'a', 1, 't', 't', null]);
    target.push('children', [1, 'x']);
    await expect(target.finish()).rejects.toThrow('boom');
    await expect(target.abort()).resolves.toBeUndefined();
    expect(log.map((line) => line.replace(/ rows.*/, ''))).toEqual([
      'BEGIN',
      'parents',
      'children',
      'ROLLBACK failed',
    ]);
  });
});
