import type { DataSource } from 'typeorm';
import type { RootResourceSchema } from '../query.types';

/**
 * Checks that the database has the indexes a resource's query surface relies on: every filterable
 * and sortable column of the root table (an index that starts with the column, or with `deleted_at`
 * and then the column when the table soft-deletes: the soft-delete condition and the filter or sort
 * share one range), and both sides of every pivot join (the pivot's owner key for includes and
 * `filter[has]`, its related key, and the related table's primary key). Reads the catalogue of
 * either database; knows nothing about images.
 */

export interface IndexRequirement {
  readonly table: string;
  /** Column sequences an index may start with to serve the requirement (any one will do). */
  readonly leads: readonly (readonly string[])[];
  /** What needs it, for the message: `filter and sort by path`. */
  readonly usedFor: string;
}

export interface TableIndex {
  readonly name: string;
  /** In index order. */
  readonly columns: readonly string[];
}

/** table → its indexes (the primary key included, named `PRIMARY`). */
export type TableIndexes = ReadonlyMap<string, readonly TableIndex[]>;

export function indexRequirements(schema: RootResourceSchema): IndexRequirement[] {
  const requirements: IndexRequirement[] = [];
  for (const field of schema.fields) {
    if (field.column === undefined || !(field.filterable || field.sortable)) continue;
    const uses = [field.filterable ? 'filter' : '', field.sortable ? 'sort' : ''].filter(Boolean);
    const leads: string[][] = [[field.column]];
    if (schema.softDeletes && field.column !== 'deleted_at') {
      leads.push(['deleted_at', field.column]);
    }
    requirements.push({
      table: schema.table,
      leads,
      usedFor: `${uses.join(' and ')} by ${field.name}`,
    });
  }
  for (const include of schema.includes) {
    const { pivotTable, pivotOwnerKey, pivotRelatedKey, resource } = include;
    requirements.push(
      {
        table: pivotTable,
        leads: [[pivotOwnerKey]],
        usedFor: `include=${include.name} and filter[has]=${include.name} (${pivotTable} by ${schema.table})`,
      },
      {
        table: pivotTable,
        leads: [[pivotRelatedKey]],
        usedFor: `the ${schema.pluralKey} of one ${resource.type} (${pivotTable} by ${resource.table})`,
      },
      {
        table: resource.table,
        leads: [[resource.primaryKey]],
        usedFor: `include=${include.name} (joined from ${pivotTable})`,
      },
    );
  }
  return requirements;
}

export function startsWith(columns: readonly string[], lead: readonly string[]): boolean {
  return lead.every((column, index) => columns[index] === column);
}

/** The requirements no index serves. */
export function unservedRequirements(
  requirements: readonly IndexRequirement[],
  indexes: TableIndexes,
): IndexRequirement[] {
  return requirements.filter(
    (requirement) =>
      !(indexes.get(requirement.table) ?? []).some((index) =>
        requirement.leads.some((lead) => startsWith(index.columns, lead)),
      ),
  );
}

/** One line per unserved requirement, naming the table, the columns and what needs them. */
export function describeUnserved(requirement: IndexRequirement): string {
  const leads = requirement.leads.map((lead) => `(${lead.join(', ')}, ...)`).join(' or ');
  return `${requirement.table}: no index starts with ${leads}, needed for ${requirement.usedFor}`;
}

interface IndexColumnRow {
  table_name: string;
  index_name: string;
  position: number | string;
  column_name: string;
}

/** Every index of the given tables, the primary key included, from the database's catalogue. */
export async function readTableIndexes(
  dataSource: DataSource,
  tables: readonly string[],
): Promise<TableIndexes> {
  const placeholders = tables.map(() => '?').join(', ');
  const rows =
    dataSource.options.type === 'mysql'
      ? await dataSource.query<IndexColumnRow[]>(
          `SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, SEQ_IN_INDEX AS position,
                  COLUMN_NAME AS column_name
           FROM information_schema.STATISTICS
           WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${placeholders})`,
          [...tables],
        )
      : await dataSource.query<IndexColumnRow[]>(
          // pragma_index_list covers every index but a rowid primary key (INTEGER PRIMARY KEY),
          // which pragma_table_info reports as the primary key columns.
          `SELECT m.name AS table_name, il.name AS index_name, ii.seqno AS position,
                  ii.name AS column_name
           FROM sqlite_master m
           JOIN pragma_index_list(m.name) il
           JOIN pragma_index_info(il.name) ii
           WHERE m.type = 'table' AND m.name IN (${placeholders})
           UNION ALL
           SELECT m.name, 'PRIMARY', ti.pk, ti.name
           FROM sqlite_master m JOIN pragma_table_info(m.name) ti
           WHERE m.type = 'table' AND m.name IN (${placeholders}) AND ti.pk > 0`,
          [...tables, ...tables],
        );
  const byIndex = new Map<string, { table: string; name: string; columns: [number, string][] }>();
  for (const row of rows) {
    const key = `${row.table_name}\u0000${row.index_name}`;
    let index = byIndex.get(key);
    if (index === undefined) {
      index = { table: row.table_name, name: row.index_name, columns: [] };
      byIndex.set(key, index);
    }
    index.columns.push([Number(row.position), row.column_name]);
  }
  const indexes = new Map<string, TableIndex[]>();
  for (const { table, name, columns } of byIndex.values()) {
    const ordered = columns.sort((a, b) => a[0] - b[0]).map(([, column]) => column);
    indexes.set(table, [...(indexes.get(table) ?? []), { name, columns: ordered }]);
  }
  return indexes;
}

/** The requirements of `schema` the database at hand does not serve (empty: all served). */
export async function findUnservedIndexes(
  dataSource: DataSource,
  schema: RootResourceSchema,
): Promise<IndexRequirement[]> {
  const requirements = indexRequirements(schema);
  const tables = [...new Set(requirements.map((requirement) => requirement.table))];
  return unservedRequirements(requirements, await readTableIndexes(dataSource, tables));
}
