import type { DataSource } from 'typeorm';
import { openDataSource } from '../src/database/data-source';
import { RawReader } from '../src/query/typeorm/raw-reader';
import { createTestDatabase, TestDatabase, testDatabaseKinds } from './helpers/test-database';

/** The parts of mysql2's pool the tests look at: how many connections it has, and how many idle. */
interface PoolCounts {
  _allConnections: { length: number };
  _freeConnections: { length: number };
}

function poolCounts(dataSource: DataSource): { all: number; free: number } {
  const pool = (dataSource.driver as unknown as { pool: PoolCounts }).pool;
  return { all: pool._allConnections.length, free: pool._freeConnections.length };
}

/**
 * The read path's statements on the driver itself (see raw-reader.ts): each gets its own rows,
 * errors come back as the driver's, and on MySQL every connection goes back to the pool, or is
 * dropped when the server has turned it read-only.
 */
describe.each(testDatabaseKinds())('raw reader [%s]', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let reader: RawReader;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = await openDataSource(database.config);
    reader = RawReader.of(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('should answer 40 reads at once, each with its own bound value', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) => reader.query('SELECT ? AS n', [index])),
    );
    expect(answers.map((rows) => rows.map((row) => Number(row.n)))).toEqual(
      Array.from({ length: 40 }, (_, index) => [index]),
    );
    if (kind === 'mysql') {
      // More reads than connections (5): they queued, and every connection came back.
      expect(poolCounts(dataSource)).toEqual({ all: 5, free: 5 });
    }
  });

  it("should reject a failing statement with the driver's error, then read on", async () => {
    const error = await reader.query('SELECT n FROM no_such_table').catch((e: unknown) => e);
    // The driver's own error, code and all (better-sqlite3's come from another realm under Jest,
    // so not `toBeInstanceOf(Error)`).
    expect(error).toMatchObject({
      code: kind === 'mysql' ? 'ER_NO_SUCH_TABLE' : 'SQLITE_ERROR',
      message: expect.stringContaining('no_such_table') as unknown,
    });
    expect(await reader.query('SELECT ? AS n', [7])).toEqual([{ n: 7 }]);
    if (kind === 'mysql') expect(poolCounts(dataSource)).toEqual({ all: 5, free: 5 });
  });

  if (kind === 'mysql') {
    it('should drop, not reuse, a connection the server has made read-only', async () => {
      const config = database.config;
      if (config.type !== 'mysql') throw new Error('a MySQL test database was expected');
      const single = await openDataSource({ ...config, poolSize: 1 });
      try {
        const onlyReader = RawReader.of(single);
        await onlyReader.query('CREATE TABLE read_only_probe (n INT)');
        // With one connection in the pool, every statement runs on the same session.
        await onlyReader.query('SET SESSION TRANSACTION READ ONLY');
        const error = (await onlyReader
          .query('INSERT INTO read_only_probe (n) VALUES (1)')
          .catch((e: unknown) => e)) as { errno?: unknown };
        expect(error.errno).toBe(1792); // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
        expect(poolCounts(single)).toEqual({ all: 0, free: 0 });
        // The next statement gets a new session, which can write.
        await onlyReader.query('INSERT INTO read_only_probe (n) VALUES (2)');
        expect(await onlyReader.query('SELECT n FROM read_only_probe')).toEqual([{ n: 2 }]);
        expect(poolCounts(single)).toEqual({ all: 1, free: 1 });
      } finally {
        await single.destroy(); // the table goes with the test database
      }
    });
  }
});
