import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { CursorDirection, CursorValue } from '../cursor';
import {
  IncludeDefinition,
  ParsedQuery,
  ResourceSchema,
  RootResourceSchema,
  SortSpec,
} from '../query.types';
import {
  fieldOf,
  filtersFor,
  includesOf,
  orderTermsFor,
  OWNER_KEY_ALIAS,
  pivotAlias,
  planFields,
  trashedFor,
} from '../query-plan';
import {
  dialectOf,
  fixedConditionsSql,
  foldedFiltersSql,
  keysetSql,
  ParameterBag,
  SqlDialect,
  trashedSql,
} from './sql-fragments';

/**
 * Applies a validated `ParsedQuery` to TypeORM select query builders: the page of a root resource, one
 * row of it, and the batch query of an included relation. Generic: everything it knows about a
 * resource comes from its schema. Rows are read raw (`getRawMany`), keyed by column name.
 */

/** The alias of the root table in the statements built here. */
export const ROOT_ALIAS = 'root';
const PIVOT_ALIAS = 'pivot';
const RELATED_ALIAS = 'related';

/**
 * Offsets beyond this are past any table this service could hold; clamping keeps the SQL valid (a
 * float such as `1e+21` would not be) while still answering an empty page.
 */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

function selectColumns(
  qb: SelectQueryBuilder<ObjectLiteral>,
  alias: string,
  columns: readonly string[],
  dialect: SqlDialect,
): void {
  const escapedAlias = dialect.escape(alias);
  columns.forEach((column, index) => {
    const expression = `${escapedAlias}.${dialect.escape(column)}`;
    if (index === 0) qb.select(expression, column);
    else qb.addSelect(expression, column);
  });
}

function applySort(
  qb: SelectQueryBuilder<ObjectLiteral>,
  alias: string,
  resource: ResourceSchema,
  sort: SortSpec | undefined,
  dialect: SqlDialect,
): void {
  if (sort === 'random') {
    qb.orderBy(dialect.random);
    return;
  }
  const escapedAlias = dialect.escape(alias);
  let hasPrimaryKey = false;
  for (const term of sort ?? []) {
    const column = fieldOf(resource, term.field)?.column;
    if (column === undefined) continue;
    if (column === resource.primaryKey) hasPrimaryKey = true;
    qb.addOrderBy(`${escapedAlias}.${dialect.escape(column)}`, term.direction);
  }
  // The primary key is always the last tie-breaker, so that equal keys page stably.
  if (!hasPrimaryKey)
    qb.addOrderBy(`${escapedAlias}.${dialect.escape(resource.primaryKey)}`, 'ASC');
}

/** A keyset page: the rows `after` or `before` a position in the sort order (none: from the start). */
export interface KeysetPage {
  readonly direction: CursorDirection;
  /** One value per term of `orderTermsFor` (the primary key last); undefined for the first page. */
  readonly values?: readonly CursorValue[];
}

/**
 * The conditions that decide which rows of an included type show: the trashed rule, its fixed
 * conditions, then its scoped and applicable unscoped filters as one parenthesised group.
 */
function relatedConditions(
  alias: string,
  include: IncludeDefinition,
  query: ParsedQuery,
  dialect: SqlDialect,
  bag: ParameterBag,
): string[] {
  const resource = include.resource;
  const escapedAlias = dialect.escape(alias);
  const conditions: string[] = [];
  const trashed = trashedSql(escapedAlias, resource, trashedFor(query, resource), dialect);
  if (trashed !== undefined) conditions.push(trashed);
  conditions.push(...fixedConditionsSql(escapedAlias, resource, dialect, bag));
  const filters = foldedFiltersSql(escapedAlias, filtersFor(resource, query.filters), dialect, bag);
  if (filters !== undefined) conditions.push(`(${filters})`);
  return conditions;
}

/** `EXISTS (...)` for one relation of `filter[has]`: a related row the include would show. */
function existsSql(
  include: IncludeDefinition,
  query: ParsedQuery,
  index: number,
  ownerColumn: string,
  dialect: SqlDialect,
  bag: ParameterBag,
): string {
  const pivot = dialect.escape(`has_pivot_${index}`);
  const relatedAlias = `has_related_${index}`;
  const related = dialect.escape(relatedAlias);
  const conditions = [
    `${pivot}.${dialect.escape(include.pivotOwnerKey)} = ${ownerColumn}`,
    ...relatedConditions(relatedAlias, include, query, dialect, bag),
  ];
  return (
    `EXISTS (SELECT 1 FROM ${dialect.escape(include.pivotTable)} ${pivot}` +
    ` INNER JOIN ${dialect.escape(include.resource.table)} ${related}` +
    ` ON ${related}.${dialect.escape(include.resource.primaryKey)} = ${pivot}.${dialect.escape(include.pivotRelatedKey)}` +
    ` WHERE ${conditions.join(' AND ')})`
  );
}

/**
 * The page of a root resource (the list route) as ONE statement: only the needed columns, the
 * soft-delete scope, the client's filters folded inside one parenthesised group, `filter[has]` as
 * EXISTS tests, the sort with the primary key as final tie-breaker, and `LIMIT size + 1` so that the
 * caller knows whether a next page exists without counting.
 *
 * With `keyset`, the page starts after (or before) a position instead of at an OFFSET: the sort
 * columns are selected too (the caller makes the next cursors from them), the position becomes a
 * row-value comparison expanded to OR/AND (so MySQL and SQLite both read it as index ranges), and
 * `before` reads the order backwards (the caller reverses the rows).
 */
export function selectPage(
  qb: SelectQueryBuilder<ObjectLiteral>,
  schema: RootResourceSchema,
  query: ParsedQuery,
  keyset?: KeysetPage,
): SelectQueryBuilder<ObjectLiteral> {
  const dialect = dialectOf(qb.connection);
  const bag = new ParameterBag();
  const alias = dialect.escape(ROOT_ALIAS);
  const sort = query.sort[schema.type];
  if (keyset !== undefined && sort === 'random') {
    throw new Error('a random order has no keyset pages (the parser refuses page[cursor] with it)');
  }
  const terms = sort === 'random' ? undefined : orderTermsFor(schema, sort);

  const { columns } = planFields(schema, query.fields[schema.type]);
  const selected =
    keyset === undefined || terms === undefined
      ? columns
      : [...columns, ...terms.map((term) => term.column).filter((c) => !columns.includes(c))];
  selectColumns(qb, ROOT_ALIAS, selected, dialect);
  // Soft deletes are applied here from the schema, never by TypeORM's entity metadata.
  qb.from(schema.table, ROOT_ALIAS).withDeleted();

  const trashed = trashedSql(alias, schema, trashedFor(query, schema), dialect);
  if (trashed !== undefined) qb.where(trashed);
  for (const fixed of fixedConditionsSql(alias, schema, dialect, bag)) qb.andWhere(fixed);

  const filters = foldedFiltersSql(alias, filtersFor(schema, query.filters), dialect, bag);
  if (filters !== undefined) qb.andWhere(new Brackets((group) => group.where(filters)));

  if (query.has !== undefined && query.has.relations.length > 0) {
    const ownerColumn = `${alias}.${dialect.escape(schema.primaryKey)}`;
    const tests = includesOf(schema.includes, query.has.relations).map((include, index) =>
      existsSql(include, query, index, ownerColumn, dialect, bag),
    );
    const joined = tests.join(query.has.logic === 'or' ? ' OR ' : ' AND ');
    if (tests.length > 0) qb.andWhere(new Brackets((group) => group.where(joined)));
  }

  const backwards = keyset?.direction === 'before';
  if (terms !== undefined && keyset?.values !== undefined) {
    qb.andWhere(keysetSql(alias, terms, keyset.values, backwards, dialect, bag));
  }
  if (terms === undefined) {
    qb.orderBy(dialect.random);
  } else {
    for (const term of terms) {
      const direction = backwards ? (term.direction === 'ASC' ? 'DESC' : 'ASC') : term.direction;
      qb.addOrderBy(`${alias}.${dialect.escape(term.column)}`, direction);
    }
  }
  qb.limit(query.page.size + 1);
  if (keyset === undefined) {
    qb.offset(Math.min((query.page.number - 1) * query.page.size, MAX_OFFSET));
  }
  return qb.setParameters(bag.values);
}

/**
 * One row of a root resource by primary key (the show route), whatever its soft-delete state, with
 * the needed columns only. Root filters do not apply: on show they narrow included arrays only.
 */
export function selectOne(
  qb: SelectQueryBuilder<ObjectLiteral>,
  schema: RootResourceSchema,
  query: ParsedQuery,
  id: number | string,
): SelectQueryBuilder<ObjectLiteral> {
  const dialect = dialectOf(qb.connection);
  const bag = new ParameterBag();
  selectColumns(qb, ROOT_ALIAS, planFields(schema, query.fields[schema.type]).columns, dialect);
  const key = `${dialect.escape(ROOT_ALIAS)}.${dialect.escape(schema.primaryKey)}`;
  return qb
    .from(schema.table, ROOT_ALIAS)
    .withDeleted()
    .where(`${key} = ${bag.bind(id)}`)
    .limit(1)
    .setParameters(bag.values);
}

/**
 * The batch query of one included relation for a set of owners: the related rows joined through the
 * pivot, `pivot.owner IN (...)`, with the trashed rule, fixed conditions, the type's filters, its
 * sort (default: its primary key ascending) and its sparse fields; each row also carries the owner id
 * and the pivot columns the relation renders.
 */
export function selectIncluded(
  qb: SelectQueryBuilder<ObjectLiteral>,
  include: IncludeDefinition,
  query: ParsedQuery,
  ownerIds: readonly (number | string)[],
): SelectQueryBuilder<ObjectLiteral> {
  const dialect = dialectOf(qb.connection);
  const bag = new ParameterBag();
  const resource = include.resource;
  const pivot = dialect.escape(PIVOT_ALIAS);
  const related = dialect.escape(RELATED_ALIAS);

  selectColumns(
    qb,
    RELATED_ALIAS,
    planFields(resource, query.fields[resource.type]).columns,
    dialect,
  );
  qb.addSelect(`${pivot}.${dialect.escape(include.pivotOwnerKey)}`, OWNER_KEY_ALIAS);
  for (const column of include.pivotObject?.columns ?? []) {
    qb.addSelect(`${pivot}.${dialect.escape(column)}`, pivotAlias(column));
  }
  qb.from(include.pivotTable, PIVOT_ALIAS)
    .withDeleted()
    .innerJoin(
      resource.table,
      RELATED_ALIAS,
      `${related}.${dialect.escape(resource.primaryKey)} = ${pivot}.${dialect.escape(include.pivotRelatedKey)}`,
    )
    .where(`${pivot}.${dialect.escape(include.pivotOwnerKey)} IN ${bag.bind([...ownerIds])}`);
  for (const condition of relatedConditions(RELATED_ALIAS, include, query, dialect, bag)) {
    qb.andWhere(condition);
  }
  applySort(qb, RELATED_ALIAS, resource, query.sort[resource.type], dialect);
  return qb.setParameters(bag.values);
}
