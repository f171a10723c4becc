import type { DataSource, Logger } from 'typeorm';

/**
 * Records every SQL statement a data source sends (each goes through its TypeORM logger, the read
 * path's raw statements included) into the returned array; clear it with `statements.length = 0`.
 */
export function recordStatements(dataSource: DataSource): string[] {
  const statements: string[] = [];
  const recording: Logger = {
    logQuery: (query) => {
      statements.push(query);
    },
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  (dataSource as { logger: Logger }).logger = recording;
  return statements;
}
