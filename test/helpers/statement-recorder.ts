import type { DataSource, Logger } from 'typeorm';

/** A statement as a data source sent it. */
export interface RecordedStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * Records every SQL statement a data source sends (each goes through its TypeORM logger, the read
 * path's raw statements included) into the returned array; clear it with `statements.length = 0`.
 */
export function recordStatements(dataSource: DataSource): string[] {
  const statements: string[] = [];
  record(dataSource, (sql) => statements.push(sql));
  return statements;
}

/** As `recordStatements`, with each statement's parameters (to run it again, or EXPLAIN it). */
export function recordStatementsWithParameters(dataSource: DataSource): RecordedStatement[] {
  const statements: RecordedStatement[] = [];
  record(dataSource, (sql, parameters) => statements.push({ sql, parameters }));
  return statements;
}

function record(
  dataSource: DataSource,
  push: (sql: string, parameters: readonly unknown[]) => void,
): void {
  const recording: Logger = {
    logQuery: (query, parameters) => {
      push(query, parameters ?? []);
    },
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  (dataSource as { logger: Logger }).logger = recording;
}
