import type { DataSource } from 'typeorm';
import type { SqlRunner, SqlStatement } from '../src/database/change-versions';
import { openDataSource } from '../src/database/data-source';
import { inMysqlTransaction, isCommitOfUnknownOutcome } from '../src/database/mysql-transaction';
import { recordStatements } from './helpers/statement-recorder';
import { createTestDatabase, isMariaDb, TestDatabase } from './helpers/test-database';

interface PoolCounts {
  _allConnections: { length: number };
  _freeConnections: { length: number };
}

type Work = (runner: SqlRunner) => Promise<unknown>;

/** What a transaction did: its answer or its error's code and message, its statements, the rows. */
interface Outcome {
  answer?: unknown;
  error?: { code: unknown; message: string };
  statements: string[];
  rows: unknown;
}

/**
 * The unit of work's MySQL transactions (mysql-transaction.ts) against TypeORM's own
 * `DataSource.transaction`, the plain version they replace: the same work gives the same answer
 * or error code, the same statements and the same rows, and every connection goes back.
 */
describe('a write transaction on the mysql2 pool, as TypeORM runs it', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let statements: string[];

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    dataSource = await openDataSource(database.config);
    await dataSource.query(
      'CREATE TABLE tx_probe (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL) ENGINE=InnoDB',
    );
    statements = recordStatements(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function outcome(run: (work: Work) => Promise<unknown>, work: Work): Promise<Outcome> {
    await dataSource.query('DELETE FROM tx_probe');
    await dataSource.query("INSERT INTO tx_probe (id, note) VALUES (1, 'kept')");
    statements.length = 0;
    const result: Outcome = { statements, rows: undefined };
    try {
      result.answer = await run(work);
    } catch (error) {
      const coded = error as { code?: unknown; message: string };
      result.error = { code: coded.code, message: coded.message };
    }
    result.statements = [...statements];
    result.rows = await dataSource.query('SELECT id, note FROM tx_probe ORDER BY id');
    const pool = (dataSource.driver as unknown as { pool: PoolCounts }).pool;
    expect(pool._freeConnections.length).toBe(pool._allConnections.length);
    return result;
  }

  async function expectAlike(work: Work): Promise<Outcome> {
    const typeorm = await outcome((w) => dataSource.transaction((manager) => w(manager)), work);
    const raw = await outcome((w) => inMysqlTransaction(dataSource, Infinity, w), work);
    expect(raw).toEqual(typeorm);
    return raw;
  }

  it('should commit the statements and answer what the work answered', async () => {
    const done = await expectAlike(async (runner) => {
      const header = (await runner.query('INSERT INTO tx_probe (id, note) VALUES (?, ?)', [
        2,
        'new',
      ])) as { affectedRows: number; insertId: number };
      const rows = await runner.query('SELECT note FROM tx_probe WHERE id = ? FOR UPDATE', [2]);
      return { affected: header.affectedRows, rows };
    });
    expect(done.answer).toEqual({ affected: 1, rows: [{ note: 'new' }] });
    expect(done.statements).toEqual([
      'START TRANSACTION',
      'INSERT INTO tx_probe (id, note) VALUES (?, ?)',
      'SELECT note FROM tx_probe WHERE id = ? FOR UPDATE',
      'COMMIT',
    ]);
    expect(done.rows).toEqual([
      { id: 1, note: 'kept' },
      { id: 2, note: 'new' },
    ]);
  });

  it('should roll back when the work throws, and pass its error on', async () => {
    const failed = await expectAlike(async (runner) => {
      await runner.query('UPDATE tx_probe SET note = ? WHERE id = ?', ['changed', 1]);
      throw Object.assign(new Error('the work failed'), { code: 'WORK' });
    });
    expect(failed.error).toEqual({ code: 'WORK', message: 'the work failed' });
    expect(failed.statements).toEqual([
      'START TRANSACTION',
      'UPDATE tx_probe SET note = ? WHERE id = ?',
      'ROLLBACK',
    ]);
    expect(failed.rows).toEqual([{ id: 1, note: 'kept' }]);
  });

  it("should reject a failing statement with the driver's code; caught, the work goes on", async () => {
    const duplicate = await expectAlike((runner) =>
      runner.query("INSERT INTO tx_probe (id, note) VALUES (1, 'again')"),
    );
    expect(duplicate.error?.code).toBe('ER_DUP_ENTRY');
    expect(duplicate.rows).toEqual([{ id: 1, note: 'kept' }]);

    const caught = await expectAlike(async (runner) => {
      const error = await runner
        .query("INSERT INTO tx_probe (id, note) VALUES (1, 'again')")
        .catch((e: { code: string }) => e.code);
      await runner.query("INSERT INTO tx_probe (id, note) VALUES (3, 'after')");
      return error;
    });
    expect(caught.answer).toBe('ER_DUP_ENTRY');
    expect(caught.rows).toEqual([
      { id: 1, note: 'kept' },
      { id: 3, note: 'after' },
    ]);
  });

  describe('with a last statement before the COMMIT', () => {
    const work: Work = (runner) =>
      runner.query("INSERT INTO tx_probe (id, note) VALUES (2, 'new')").then(() => 'done');
    const bump: SqlStatement = {
      sql: 'UPDATE tx_probe SET note = ? WHERE id = ?',
      parameters: ['bumped', 1],
    };
    const failing: SqlStatement = {
      sql: 'INSERT INTO tx_probe (id, note) VALUES (?, ?)',
      parameters: [1, 'again'],
    };

    /** The plain version: the last statement in the work, in TypeORM's transaction. */
    const typeorm = (last: SqlStatement) =>
      outcome(
        (w) =>
          dataSource.transaction(async (manager) => {
            const answer = await w(manager);
            await manager.query(last.sql, last.parameters);
            return answer;
          }),
        work,
      );
    const raw = (last: SqlStatement, oneTrip: boolean) => {
      let thrown: unknown;
      return outcome(
        (w) =>
          inMysqlTransaction(dataSource, Infinity, w, () => last, oneTrip).catch(
            (error: unknown) => {
              thrown = error;
              throw error;
            },
          ),
        work,
      ).then((result) => ({ ...result, unknownOutcome: isCommitOfUnknownOutcome(thrown) }));
    };

    it('should take the COMMIT with it in one round trip on MariaDB, unless told', async () => {
      const byDefault = await outcome(
        (w) => inMysqlTransaction(dataSource, Infinity, w, () => bump),
        work,
      );
      expect(byDefault.statements.slice(2)).toEqual(
        (await isMariaDb(dataSource))
          ? ['BEGIN NOT ATOMIC UPDATE tx_probe SET note = ? WHERE id = ?; COMMIT; END']
          : ['UPDATE tx_probe SET note = ? WHERE id = ?', 'COMMIT'],
      );
    });

    it("should answer and commit alike, in the COMMIT's round trip or before it", async () => {
      const plain = await typeorm(bump);
      const before = await raw(bump, false);
      const together = await raw(bump, true);
      const rows = [
        { id: 1, note: 'bumped' },
        { id: 2, note: 'new' },
      ];
      expect(plain).toMatchObject({ answer: 'done', rows });
      expect(before).toEqual({ ...plain, unknownOutcome: false });
      expect({ ...together, statements: plain.statements }).toEqual({
        ...plain,
        unknownOutcome: false,
      });
      expect(together.statements).toEqual([
        'START TRANSACTION',
        "INSERT INTO tx_probe (id, note) VALUES (2, 'new')",
        'BEGIN NOT ATOMIC UPDATE tx_probe SET note = ? WHERE id = ?; COMMIT; END',
      ]);
    });

    it("should commit nothing when it fails, with its error, in the COMMIT's round trip or before it", async () => {
      const plain = await typeorm(failing);
      const before = await raw(failing, false);
      const together = await raw(failing, true);
      expect(plain).toMatchObject({
        error: { code: 'ER_DUP_ENTRY' },
        rows: [{ id: 1, note: 'kept' }],
      });
      expect(before).toEqual({ ...plain, unknownOutcome: false });
      // The block's error may be the COMMIT's own: what the transaction made outside the database
      // stays (the file guard removes a file no row names: image-file-cleanup.ts).
      expect({ ...together, statements: plain.statements }).toEqual({
        ...plain,
        unknownOutcome: true,
      });
      expect(together.statements).toEqual([
        'START TRANSACTION',
        "INSERT INTO tx_probe (id, note) VALUES (2, 'new')",
        'BEGIN NOT ATOMIC INSERT INTO tx_probe (id, note) VALUES (?, ?); COMMIT; END',
        'ROLLBACK',
      ]);
    });
  });
});
