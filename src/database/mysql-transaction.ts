import type { DataSource } from 'typeorm';
import type { SqlRunner, SqlStatement } from './change-versions';

interface MysqlConnection {
  query(
    sql: string,
    parameters: unknown[] | undefined,
    callback: (error: Error | null, result: unknown) => void,
  ): void;
  release(): void;
  /** mysql2's reading of the server's handshake (`/mariadb/i` on its version). */
  readonly _isMariaDB?: boolean;
}

interface MysqlPool {
  /** `deadline`: when the work's database time is over (database-timeouts.ts). */
  getConnection(
    callback: (error: Error | null, connection: MysqlConnection) => void,
    deadline?: number,
  ): void;
}

const commitsOfUnknownOutcome = new WeakSet<object>();

/**
 * Whether `error` is the failure of a COMMIT (on MariaDB, of the block that carries it): the
 * connection broke or the deadline passed after it was sent, so the server may have applied it.
 * What the transaction made outside the database (a stored file) must then stay.
 */
export function isCommitOfUnknownOutcome(error: unknown): boolean {
  return typeof error === 'object' && error !== null && commitsOfUnknownOutcome.has(error);
}

/**
 * Runs `work` in one transaction on a connection of TypeORM's own `mysql2` pool, as TypeORM's
 * `EntityManager.transaction` would (START TRANSACTION, the statements, COMMIT, or ROLLBACK on an
 * error, then the connection goes back), with each statement sent to the driver as it is: TypeORM's
 * query runner costs a write its broadcasts, promises and result objects per statement
 * (docs/PERFORMANCE.md). Statements go through TypeORM's logger; errors are the driver's (`code`
 * and all), as the read path's (`RawReader`).
 *
 * `last`, asked once the work is done, is the statement to run just before the COMMIT (the
 * change-version bump, whose row locks every writer waits for). On MariaDB (`oneTrip`, by default
 * when the server is) it travels in the COMMIT's round trip, in a `BEGIN NOT ATOMIC … END` block,
 * which stops at its first error, so the COMMIT runs only when the statement succeeded; the locks
 * are then not held while this process gets round to sending the COMMIT (docs/PERFORMANCE.md, the
 * thirty-fourth session). MySQL has no such block. An error of the block is treated as a COMMIT's.
 */
export async function inMysqlTransaction<T>(
  dataSource: DataSource,
  deadline: number,
  work: (runner: SqlRunner) => Promise<T>,
  last: () => SqlStatement | undefined = () => undefined,
  oneTrip?: boolean,
): Promise<T> {
  const pool = (dataSource.driver as unknown as { pool: MysqlPool }).pool;
  const connection = await new Promise<MysqlConnection>((resolve, reject) => {
    pool.getConnection(
      (error, taken) => (error === null ? resolve(taken) : reject(error)),
      deadline,
    );
  });
  const runner: SqlRunner = {
    query: (sql, parameters) => {
      dataSource.logger.logQuery(sql, parameters);
      return new Promise((resolve, reject) => {
        connection.query(sql, parameters, (error, result) => {
          if (error === null) {
            resolve(result);
            return;
          }
          dataSource.logger.logQueryError(error, sql, parameters);
          reject(error);
        });
      });
    },
  };
  try {
    await runner.query('START TRANSACTION');
    try {
      const result = await work(runner);
      const statement = last();
      const together = statement !== undefined && (oneTrip ?? connection._isMariaDB === true);
      if (statement !== undefined && !together) {
        await runner.query(statement.sql, statement.parameters);
      }
      const commit = together
        ? runner.query(`BEGIN NOT ATOMIC ${statement.sql}; COMMIT; END`, statement.parameters)
        : runner.query('COMMIT');
      await commit.catch((error: unknown) => {
        if (typeof error === 'object' && error !== null) commitsOfUnknownOutcome.add(error);
        throw error;
      });
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    connection.release();
  }
}
