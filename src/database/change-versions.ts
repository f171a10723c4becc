import { databaseNow } from './timestamps';

/**
 * Change versions: one row per table the read routes render from, whose `version` grows by one in
 * every transaction that writes to that table (and `changed_at` records when). They make conditional
 * GETs cheap: a response's entity tag is derived from the data version (`readDataVersion`), read
 * BEFORE its rows, so a tag can be checked with one small statement, and a write racing a read can
 * only ever cause a needless 200, never a stale 304.
 *
 * Whoever writes one of these tables outside the service's own transactions (the seeder, a script)
 * bumps its version too (`bumpChangeVersions`).
 */
export const CHANGE_VERSIONS_TABLE = 'change_versions';
// Its rows (created by the migration): images, anime, artists, studios, playlists and the four
// pivots — every table the read routes render from.

/** Anything that runs SQL: a DataSource, an EntityManager or a QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * The data version: what the entity tags of the read routes are made from, in one statement with
 * one value (`<sum of versions>@<latest changed_at>`; the read path's statements are cheap, so even
 * parsing nine rows showed in the profile). The sum grows with every bump, so no two states of the
 * data share it; the time keeps a tag from matching again if the database is ever rebuilt and its
 * counters start over.
 */
export async function readDataVersion(runner: SqlRunner): Promise<string> {
  const rows = (await runner.query(
    `SELECT SUM(version) AS total, MAX(changed_at) AS latest FROM ${CHANGE_VERSIONS_TABLE}`,
  )) as { total: number | string | null; latest: string | null }[];
  const [row] = rows;
  return `${row?.total ?? 0}@${row?.latest ?? ''}`;
}

function placeholders(count: number): string {
  return '?, '.repeat(count - 1) + '?';
}

/** One SQL statement with its parameters. */
export interface SqlStatement {
  sql: string;
  parameters: unknown[];
}

/**
 * Adds one to the version of each table. Call it inside the transaction that wrote them, after the
 * writes: the rows stay locked until the commit, so doing it last keeps that short (and every
 * writer takes these locks in the same order, last, so they can't deadlock on them).
 */
export async function bumpChangeVersions(
  runner: SqlRunner,
  tables: readonly string[],
  now: string = databaseNow(),
): Promise<void> {
  const bump = changeVersionsBump(tables, now);
  if (bump !== undefined) await runner.query(bump.sql, bump.parameters);
}

/** The statement of `bumpChangeVersions`; none for no tables. */
export function changeVersionsBump(
  tables: readonly string[],
  now: string = databaseNow(),
): SqlStatement | undefined {
  if (tables.length === 0) return undefined;
  return {
    sql:
      `UPDATE ${CHANGE_VERSIONS_TABLE} SET version = version + 1, changed_at = ? ` +
      `WHERE table_name IN (${placeholders(tables.length)})`,
    parameters: [now, ...tables],
  };
}
