import type { BelongsToDefinition, IncludeDefinition, ParsedQuery } from '../query.types';
import { OWNER_KEY_ALIAS } from '../query-plan';
import type { BelongsToRows, IncludedRowGroups, RawRow } from '../resource-renderer';
import { selectBelongsTo, selectIncluded } from './apply-query';
import type { RawReader } from './raw-reader';
import type { SqlStatement } from './sql-fragments';

/**
 * Loads every included relation of a page with exactly one query per relation
 * (`pivot.owner IN (...)`), never one per owner and never a JOIN under the page's LIMIT. The queries
 * are independent, so they run side by side (on a pool they use separate connections).
 * `statementOf` makes each relation's statement (by default `selectIncluded`; the reader hands in
 * its kept ones).
 */
export async function loadIncludes(
  reader: RawReader,
  includes: readonly IncludeDefinition[],
  query: ParsedQuery,
  ownerIds: readonly (number | string)[],
  statementOf: (include: IncludeDefinition) => SqlStatement = (include) =>
    selectIncluded(reader.dialect, include, query, ownerIds),
): Promise<IncludedRowGroups[]> {
  if (includes.length === 0 || ownerIds.length === 0) {
    return includes.map((include) => ({ include, byOwner: new Map() }));
  }
  return Promise.all(
    includes.map(async (include) => {
      const rows = await reader.all<RawRow>(statementOf(include));
      const byOwner = new Map<number, RawRow[]>();
      for (const row of rows) {
        const owner = Number(row[OWNER_KEY_ALIAS]);
        const group = byOwner.get(owner);
        if (group === undefined) byOwner.set(owner, [row]);
        else group.push(row);
      }
      return { include, byOwner };
    }),
  );
}

/**
 * Loads the included to-one relations of a page: one `WHERE key IN (...)` query per relation over
 * the foreign keys of the rows, side by side.
 */
export async function loadBelongsTo(
  reader: RawReader,
  relations: readonly BelongsToDefinition[],
  query: ParsedQuery,
  rows: readonly RawRow[],
): Promise<BelongsToRows[]> {
  return Promise.all(
    relations.map(async (relation) => {
      const ids = [...new Set(rows.map((row) => row[relation.foreignKey] as number | string))];
      const byKey = new Map<number, RawRow>();
      if (ids.length === 0) return { relation, byKey };
      const related = await reader.all<RawRow>(
        selectBelongsTo(reader.dialect, relation, query, ids),
      );
      for (const row of related) byKey.set(Number(row[relation.resource.primaryKey]), row);
      return { relation, byKey };
    }),
  );
}
