import type { DataSource } from 'typeorm';
import { orderTermsFor, trashedFor } from '../query-plan';
import type { ParsedQuery, RootResourceSchema } from '../query.types';
import { ROOT_ALIAS } from './apply-query';
import { startsWith, TableIndexes } from './index-check';
import { dialectOf } from './sql-fragments';

/**
 * MariaDB (10.11) and MySQL read a keyset page badly on their own: with `deleted_at IS NULL` and
 * an ORDER BY ... LIMIT that an index serves, the planner switches to `ref` access on the index's
 * `deleted_at` part alone and walks every live row from the start of the order to the cursor
 * (measured on 100k images: 12 ms at depth 90,000 by image_id, 60 ms halfway down -updated_at),
 * instead of the range `(NULL, cursor)..` it would read with the whole index (0.3–0.8 ms at any
 * depth). `USE INDEX` does not change that; `FORCE INDEX` on the sort's own index does. So a keyset
 * page on MySQL names the index that serves its first sort key under the soft-delete condition.
 */

/** The index that serves the first sort key of a keyset page: `(deleted_at, key, ...)` or `(key, ...)`. */
export function keysetIndexFor(
  schema: RootResourceSchema,
  query: ParsedQuery,
  indexes: TableIndexes,
): string | undefined {
  const sort = query.sort[schema.type];
  if (sort === 'random') return undefined;
  const [first] = orderTermsFor(schema, sort);
  const scoped = schema.softDeletes && trashedFor(query, schema) !== 'with';
  const lead =
    scoped && first.column !== 'deleted_at' ? ['deleted_at', first.column] : [first.column];
  return (indexes.get(schema.table) ?? []).find((index) => startsWith(index.columns, lead))?.name;
}

/**
 * The statement with `FORCE INDEX (index)` after the root table of its FROM clause (MySQL family
 * only); unchanged when that FROM clause is not found as expected.
 */
export function withForcedIndex(
  dataSource: DataSource,
  sql: string,
  table: string,
  index: string,
): string {
  const dialect = dialectOf(dataSource);
  const from = `FROM ${dialect.escape(table)} ${dialect.escape(ROOT_ALIAS)}`;
  const at = sql.indexOf(from);
  if (at === -1) return sql;
  const end = at + from.length;
  return `${sql.slice(0, end)} FORCE INDEX (${dialect.escape(index)})${sql.slice(end)}`;
}
