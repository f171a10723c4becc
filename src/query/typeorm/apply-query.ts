import type { CursorDirection, CursorValue } from '../cursor';
import {
  BelongsToDefinition,
  IncludeDefinition,
  ParsedQuery,
  ResourceSchema,
  RootResourceSchema,
  SortSpec,
} from '../query.types';
import {
  belongsToOf,
  fieldOf,
  filtersFor,
  includesOf,
  orderTermsFor,
  OWNER_KEY_ALIAS,
  pivotAlias,
  planFields,
  ResolvedFilter,
  trashedFor,
} from '../query-plan';
import {
  bindable,
  fixedConditionsSql,
  foldedFiltersSql,
  keysetSql,
  ParameterBag,
  SqlDialect,
  SqlStatement,
  trashedSql,
} from './sql-fragments';

/**
 * Turns a validated `ParsedQuery` into SQL statements: the page of a root resource, one row of it,
 * and the batch query of an included relation. Generic: everything it knows about a resource comes
 * from its schema. The statements are plain text with positional `?` parameters in the order they
 * appear, built by string assembly (TypeORM's query builder cost a list request more than its
 * whole rendering), and are run by `RawReader`; rows are keyed by column name.
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

/** `"alias"."column" AS "column", ...` (the result keys are the column names). */
function selectList(alias: string, columns: readonly string[], dialect: SqlDialect): string[] {
  const escapedAlias = dialect.escape(alias);
  return columns.map((column) => {
    const escaped = dialect.escape(column);
    return `${escapedAlias}.${escaped} AS ${escaped}`;
  });
}

/** ORDER BY of an included type: its sort, then its primary key ascending. */
function includedOrder(
  alias: string,
  resource: ResourceSchema,
  sort: SortSpec | undefined,
  dialect: SqlDialect,
): string[] {
  if (sort === 'random') return [dialect.random];
  const escapedAlias = dialect.escape(alias);
  const order: string[] = [];
  let hasPrimaryKey = false;
  for (const term of sort ?? []) {
    const column = fieldOf(resource, term.field)?.column;
    if (column === undefined) continue;
    if (column === resource.primaryKey) hasPrimaryKey = true;
    order.push(`${escapedAlias}.${dialect.escape(column)} ${term.direction}`);
  }
  // The primary key is always the last tie-breaker, so that equal keys page stably.
  if (!hasPrimaryKey) order.push(`${escapedAlias}.${dialect.escape(resource.primaryKey)} ASC`);
  return order;
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
 * Whether a `filter[has]` test asks only for some related row the include would show, with no
 * filter of the client's on the related type and not only its soft-deleted rows: most images pass
 * it, so reading images in order and stopping with the page is cheap, and materialising the whole
 * relation first is not. A test the client narrowed may match few images, and then the database's
 * own choice (which materialises the few related rows) is the one to keep (docs/PERFORMANCE.md).
 */
function isBroadHasTest(include: IncludeDefinition, query: ParsedQuery): boolean {
  return (
    trashedFor(query, include.resource) !== 'only' &&
    filtersFor(include.resource, query.filters).length === 0
  );
}

function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

/**
 * One `EXISTS (...)` per to-one relation of the root: its related row is visible (not soft-deleted,
 * its fixed conditions met) and, with `filters`, matches the client's filters on that type. A root
 * row whose relation is hidden is never read (a pivot's link to a trashed image).
 */
function belongsToConditions(
  schema: RootResourceSchema,
  query: ParsedQuery,
  options: { readonly filters: boolean },
  dialect: SqlDialect,
  bag: ParameterBag,
): string[] {
  const root = dialect.escape(ROOT_ALIAS);
  return (schema.belongsTo ?? []).map((relation, index) => {
    const resource = relation.resource;
    const alias = dialect.escape(`to_one_${index}`);
    const conditions = [
      `${alias}.${dialect.escape(resource.primaryKey)} = ${root}.${dialect.escape(relation.foreignKey)}`,
    ];
    const trashed = trashedSql(alias, resource, 'without', dialect);
    if (trashed !== undefined) conditions.push(trashed);
    conditions.push(...fixedConditionsSql(alias, resource, dialect, bag));
    if (options.filters) {
      const filters = foldedFiltersSql(alias, filtersFor(resource, query.filters), dialect, bag);
      if (filters !== undefined) conditions.push(`(${filters})`);
    }
    return `EXISTS (SELECT 1 FROM ${dialect.escape(resource.table)} ${alias} WHERE ${conditions.join(' AND ')})`;
  });
}

/**
 * Whether a type's folded filters keep at most a few of its rows: they require an equality on its
 * primary key or a unique field, one value or a list (the parser allows 100). A pivot page whose
 * to-one relation is pinned so is best started from those rows, as MariaDB's own plan does; any
 * other filter (`year`, `facet`, `slug-like`, `slug … OR year`) passes many rows, and reading the
 * links in order until the page is full wins (docs/PERFORMANCE.md).
 */
function pinsFewRows(resource: ResourceSchema, filters: readonly ResolvedFilter[]): boolean {
  return filters.some(({ condition, field }, index) => {
    const equality =
      condition.operator === (condition.negated ? 'ne' : 'eq') &&
      (field.unique === true || field.column === resource.primaryKey);
    // `(((a L1 b) L2 c) L3 d)` requires c only if L2 and L3 are AND (the first one's is unused).
    return (
      equality && filters.slice(Math.max(index, 1)).every((next) => next.condition.logic === 'and')
    );
  });
}

/** The root's columns that included to-one relations need (their foreign keys). */
function belongsToColumns(schema: RootResourceSchema, query: ParsedQuery): string[] {
  return belongsToOf(schema, query.include).map((relation) => relation.foreignKey);
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
  dialect: SqlDialect,
  schema: RootResourceSchema,
  query: ParsedQuery,
  keyset?: KeysetPage,
): SqlStatement {
  const bag = new ParameterBag(dialect);
  const alias = dialect.escape(ROOT_ALIAS);
  const sort = query.sort[schema.type];
  if (keyset !== undefined && sort === 'random') {
    throw new Error('a random order has no keyset pages (the parser refuses page[cursor] with it)');
  }
  const terms = sort === 'random' ? undefined : orderTermsFor(schema, sort);

  const { columns } = planFields(schema, query.fields[schema.type]);
  const needed = [
    ...belongsToColumns(schema, query),
    ...(keyset === undefined || terms === undefined ? [] : terms.map((term) => term.column)),
  ];
  const selected = [...columns, ...new Set(needed.filter((column) => !columns.includes(column)))];

  // Soft deletes are applied here from the schema; conditions bind their values in text order.
  const conditions: string[] = [];
  const trashed = trashedSql(alias, schema, trashedFor(query, schema), dialect);
  if (trashed !== undefined) conditions.push(trashed);
  conditions.push(...fixedConditionsSql(alias, schema, dialect, bag));
  const filters = foldedFiltersSql(alias, filtersFor(schema, query.filters), dialect, bag);
  if (filters !== undefined) conditions.push(`(${filters})`);
  const toOne = belongsToConditions(schema, query, { filters: true }, dialect, bag);
  conditions.push(...toOne);
  // Tests that pass many rows: read in order and stop with the page (MariaDB, docs/pivots.md).
  const broadToOne =
    toOne.length > 0 &&
    !(schema.belongsTo ?? []).some((relation) =>
      pinsFewRows(relation.resource, filtersFor(relation.resource, query.filters)),
    );
  let prefix = broadToOne ? dialect.toOneTestsPrefix : '';
  if (query.has !== undefined && query.has.relations.length > 0) {
    const ownerColumn = `${alias}.${dialect.escape(schema.primaryKey)}`;
    const includes = includesOf(schema.includes, query.has.relations);
    const tests = includes.map((include, index) =>
      existsSql(include, query, index, ownerColumn, dialect, bag),
    );
    if (tests.length > 0) {
      conditions.push(`(${tests.join(query.has.logic === 'or' ? ' OR ' : ' AND ')})`);
      if (includes.every((include) => isBroadHasTest(include, query))) {
        prefix = dialect.hasTestsPrefix;
      }
    }
  }
  const backwards = keyset?.direction === 'before';
  if (terms !== undefined && keyset?.values !== undefined) {
    conditions.push(keysetSql(alias, terms, keyset.values, backwards, dialect, bag));
  }

  const order =
    terms === undefined
      ? [dialect.random]
      : terms.map((term) => {
          const descending = (term.direction === 'DESC') !== backwards;
          return `${alias}.${dialect.escape(term.column)} ${descending ? 'DESC' : 'ASC'}`;
        });
  const offset =
    keyset === undefined ? Math.min((query.page.number - 1) * query.page.size, MAX_OFFSET) : 0;
  const sql =
    `${prefix}SELECT ${selectList(ROOT_ALIAS, selected, dialect).join(', ')}` +
    ` FROM ${dialect.escape(schema.table)} ${alias}${whereClause(conditions)}` +
    ` ORDER BY ${order.join(', ')} LIMIT ${query.page.size + 1}` +
    (offset > 0 ? ` OFFSET ${offset}` : '');
  return { sql, parameters: bag.values };
}

/**
 * What names one row: its primary key value, or a value per key column of a composite key
 * (`{anime_id: 1, image_id: 2}`). In a record, `<relation>.<column>` names a to-one relation's row
 * by another unique column (`{'anime.slug': 'cowboy_bebop', image_id: 2}`).
 */
export type RowKey = number | string | Readonly<Record<string, number | string>>;

/** The parts of a key: the root's own columns, and per to-one relation its columns (`anime.slug`). */
function keyParts(
  schema: RootResourceSchema,
  key: RowKey,
): { root: [string, number | string][]; toOne: Map<string, [string, number | string][]> } {
  const parts = typeof key === 'object' ? Object.entries(key) : [[schema.primaryKey, key] as const];
  const root: [string, number | string][] = [];
  const toOne = new Map<string, [string, number | string][]>();
  for (const [name, value] of parts) {
    const dot = name.indexOf('.');
    if (dot === -1) {
      root.push([name, value]);
      continue;
    }
    const relation = name.slice(0, dot);
    if (!schema.belongsTo?.some((candidate) => candidate.name === relation)) {
      throw new Error(`no to-one relation ${relation} in ${schema.type}`);
    }
    toOne.set(relation, [...(toOne.get(relation) ?? []), [name.slice(dot + 1), value]]);
  }
  return { root, toOne };
}

/**
 * One row of a root resource by its key (the show route), with the needed columns only: whatever
 * its soft-delete state, but only while its to-one relations are visible. Root filters do not
 * apply: on show they narrow included arrays only. A scalar key is the first parameter and its
 * text is `= ?` whatever its value (see `withFirstParameter`).
 */
export function selectOne(
  dialect: SqlDialect,
  schema: RootResourceSchema,
  query: ParsedQuery,
  key: RowKey,
): SqlStatement {
  const bag = new ParameterBag(dialect);
  const alias = dialect.escape(ROOT_ALIAS);
  const { columns } = planFields(schema, query.fields[schema.type]);
  const foreignKeys = belongsToColumns(schema, query).filter((column) => !columns.includes(column));
  const parts = keyParts(schema, key);
  // Values are bound in the order their text appears.
  const conditions = parts.root.map(
    ([column, value]) => `${alias}.${dialect.escape(column)} = ${bag.bind(value)}`,
  );
  for (const relation of schema.belongsTo ?? []) {
    // A to-one part of the key (`anime.slug`) picks the related row the root row points at.
    const named = parts.toOne.get(relation.name);
    if (named === undefined) continue;
    const related = relation.resource;
    // A path names the row by its exact key: the index finds it, BINARY refuses another spelling.
    const where = named.map(([name, value]) => {
      const column = dialect.escape(name);
      const equal = `${column} = ${bag.bind(value)}`;
      return dialect.collatedEquals ? `${equal} AND BINARY ${column} = ${bag.bind(value)}` : equal;
    });
    conditions.push(
      `${alias}.${dialect.escape(relation.foreignKey)} = (SELECT ${dialect.escape(related.primaryKey)}` +
        ` FROM ${dialect.escape(related.table)} WHERE ${where.join(' AND ')})`,
    );
  }
  conditions.push(...belongsToConditions(schema, query, { filters: false }, dialect, bag));
  const sql =
    `SELECT ${selectList(ROOT_ALIAS, [...columns, ...foreignKeys], dialect).join(', ')}` +
    ` FROM ${dialect.escape(schema.table)} ${alias}${whereClause(conditions)} LIMIT 1`;
  return { sql, parameters: bag.values };
}

/**
 * The batch query of one included to-one relation: the related rows `WHERE key IN (...)`, with
 * their sparse fields (the root rows were only read while these were visible).
 */
export function selectBelongsTo(
  dialect: SqlDialect,
  relation: BelongsToDefinition,
  query: ParsedQuery,
  ids: readonly (number | string)[],
): SqlStatement {
  const bag = new ParameterBag(dialect);
  const resource = relation.resource;
  const related = dialect.escape(RELATED_ALIAS);
  const columns = planFields(resource, query.fields[resource.type]).columns;
  const sql =
    `SELECT ${selectList(RELATED_ALIAS, columns, dialect).join(', ')}` +
    ` FROM ${dialect.escape(resource.table)} ${related}` +
    ` WHERE ${related}.${dialect.escape(resource.primaryKey)} IN ${bag.bind([...ids])}`;
  return { sql, parameters: bag.values };
}

/**
 * The batch query of one included relation for a set of owners: the related rows joined through the
 * pivot, `pivot.owner IN (...)`, with the trashed rule, fixed conditions, the type's filters, its
 * sort (default: its primary key ascending) and its sparse fields; each row also carries the owner id
 * and the pivot columns the relation renders. The owner ids are the first parameter; where the
 * driver binds lists (`bindsLists`), one `(?)` whatever their number (see `withFirstParameter`).
 */
export function selectIncluded(
  dialect: SqlDialect,
  include: IncludeDefinition,
  query: ParsedQuery,
  ownerIds: readonly (number | string)[],
): SqlStatement {
  const bag = new ParameterBag(dialect);
  const resource = include.resource;
  const pivot = dialect.escape(PIVOT_ALIAS);
  const related = dialect.escape(RELATED_ALIAS);

  const select = selectList(
    RELATED_ALIAS,
    planFields(resource, query.fields[resource.type]).columns,
    dialect,
  );
  select.push(
    `${pivot}.${dialect.escape(include.pivotOwnerKey)} AS ${dialect.escape(OWNER_KEY_ALIAS)}`,
  );
  for (const column of include.pivotObject?.columns ?? []) {
    select.push(`${pivot}.${dialect.escape(column)} AS ${dialect.escape(pivotAlias(column))}`);
  }
  const conditions = [
    `${pivot}.${dialect.escape(include.pivotOwnerKey)} IN ${bag.bind([...ownerIds])}`,
    ...relatedConditions(RELATED_ALIAS, include, query, dialect, bag),
  ];
  const order = includedOrder(RELATED_ALIAS, resource, query.sort[resource.type], dialect);
  const sql =
    `SELECT ${select.join(', ')}` +
    ` FROM ${dialect.escape(include.pivotTable)} ${pivot}` +
    ` INNER JOIN ${dialect.escape(resource.table)} ${related}` +
    ` ON ${related}.${dialect.escape(resource.primaryKey)} = ${pivot}.${dialect.escape(include.pivotRelatedKey)}` +
    `${whereClause(conditions)} ORDER BY ${order.join(', ')}`;
  return { sql, parameters: bag.values };
}

/**
 * A statement of `selectOne` (a scalar key) or of `selectIncluded` (owner ids, on a dialect that
 * `bindsLists`) made for other values: the text stays, the first parameter is bound anew. So the
 * reader builds each of them once per query instead of once per request.
 */
export function withFirstParameter(statement: SqlStatement, value: unknown): SqlStatement {
  const parameters = [...statement.parameters];
  parameters[0] = Array.isArray(value) ? value.map(bindable) : bindable(value);
  return { sql: statement.sql, parameters };
}
