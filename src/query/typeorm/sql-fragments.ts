import type { DataSource } from 'typeorm';
import type { FilterCondition, FilterOperator, ResourceSchema, TrashedMode } from '../query.types';
import type { CursorValue } from '../cursor';
import type { OrderTerm, ResolvedFilter } from '../query-plan';

/**
 * SQL text built from the schema only. Client text never reaches it: identifiers come from the schema
 * and are escaped by the driver, values become bound parameters under generated names.
 */

export interface SqlDialect {
  /** Quotes an identifier the way the driver does (`` `image_id` `` or `"image_id"`). */
  escape(identifier: string): string;
  /** The expression that orders rows randomly. */
  readonly random: string;
  /**
   * What follows a LIKE pattern so that `\` escapes `%` and `_` on every database (MySQL does so by
   * default; SQLite only with an ESCAPE clause).
   */
  readonly likeEscape: string;
  /**
   * Whether the driver spells out a list bound to one `?` as `a, b, c` (mysql2 does, escaping each
   * item; better-sqlite3 binds scalars only). One placeholder instead of one per item spares mysql2
   * a scan of the text per item: a page's include statements carry up to 100 owner ids.
   */
  readonly bindsLists: boolean;
  /**
   * What a page statement with broad `filter[has]` tests (no filter on the related type: see
   * `selectPage`) starts with ('' for none): on the MySQL family, an executable comment that only
   * MariaDB runs (`MARIADB_NO_MATERIALIZATION`), turning off the materialisation of those
   * subqueries for that one statement; MySQL reads a comment.
   */
  readonly hasTestsPrefix: string;
  /** Likewise for a page whose to-one tests pass many rows (no side pinned: see `selectPage`). */
  readonly toOneTestsPrefix: string;
  /**
   * Whether `=` on text follows a collation that ignores case and trailing spaces (the MySQL
   * family's `_ci` collations; SQLite compares bytes): then an exact match also needs `BINARY`.
   */
  readonly collatedEquals: boolean;
  /**
   * The collation a string filter's text is matched under, as `LIKE` (undefined: the column's).
   * The MySQL family's `utf8mb4_unicode_ci` columns answer `=` padded (`'abc' = 'abc '`) and with
   * every character outside the BMP equal to every other, and MariaDB 10.11 misses such rows when
   * it reads a `LIKE` prefix as an index range: `utf8mb4_unicode_520_ci` (MySQL 5.6+, MariaDB
   * 10.0+) tells those characters apart, `LIKE` counts trailing spaces, and a column under
   * `COLLATE` is no index range (docs/database.md).
   */
  readonly textMatchCollation?: string;
}

/**
 * MariaDB (10.11) turns the EXISTS tests of `filter[has]` into a semi-join and, by its costs,
 * materialises the whole relation first (every live anime with its pivot rows) before it reads
 * page 1: 50–120 ms on the bench data for `filter[has]=anime`. Without materialisation it picks
 * another semi-join strategy that stops with the page: under 1 ms. A test narrowed by a filter on
 * the related type may match few images; there materialising the few related rows wins, so only
 * broad tests get this (docs/PERFORMANCE.md, "The database side").
 */
export const MARIADB_NO_MATERIALIZATION =
  "/*M!100102 SET STATEMENT optimizer_switch='materialization=off' FOR */ ";

/**
 * MariaDB (10.11) turns the `EXISTS` visibility tests of a to-one relation (a pivot's link → its
 * anime and its image, each by primary key) into joins, starts from the related table, and sorts
 * every link to find page 1: 0.9 s on the bench data for `/api/animeimage`. As dependent subqueries
 * (no semi-join, no materialisation) it reads the links in key order and looks each side up by its
 * primary key until the page is full: under 10 ms (docs/PERFORMANCE.md, "The database side"). A
 * side pinned by a unique key (`filter[anime][slug]=…`) is better read first, as MariaDB plans it.
 */
export const MARIADB_DEPENDENT_SUBQUERIES =
  "/*M!100102 SET STATEMENT optimizer_switch='semijoin=off,materialization=off' FOR */ ";

const dialects = new WeakMap<DataSource, SqlDialect>();

export function dialectOf(dataSource: DataSource): SqlDialect {
  let dialect = dialects.get(dataSource);
  if (dialect === undefined) {
    const type = dataSource.options.type;
    const driver = dataSource.driver;
    const mysqlFamily = type === 'mysql' || type === 'mariadb';
    dialect = {
      escape: (identifier) => driver.escape(identifier),
      random: mysqlFamily ? 'RAND()' : 'RANDOM()',
      likeEscape: mysqlFamily ? '' : " ESCAPE '\\'",
      bindsLists: mysqlFamily,
      hasTestsPrefix: mysqlFamily ? MARIADB_NO_MATERIALIZATION : '',
      toOneTestsPrefix: mysqlFamily ? MARIADB_DEPENDENT_SUBQUERIES : '',
      collatedEquals: mysqlFamily,
      textMatchCollation: mysqlFamily ? 'utf8mb4_unicode_520_ci' : undefined,
    };
    dialects.set(dataSource, dialect);
  }
  return dialect;
}

/** A statement to run: SQL text with positional `?` parameters, in the order they appear. */
export interface SqlStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * Collects the bound values of one statement, positionally: every `bind` must be called in the
 * order its placeholder appears in the text (fragments are built left to right for that).
 */
export class ParameterBag {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: Pick<SqlDialect, 'bindsLists'>) {}

  /**
   * Binds a value and returns its placeholder: `?`, or for a list `(?)` holding the whole list where
   * the driver spells lists out, `(?, ?, ?)` elsewhere.
   */
  bind(value: unknown): string {
    if (!Array.isArray(value)) {
      this.values.push(bindable(value));
      return '?';
    }
    if (value.length === 0) return '(NULL)';
    if (this.dialect.bindsLists) {
      this.values.push(value.map(bindable));
      return '(?)';
    }
    for (const item of value) this.values.push(bindable(item));
    return `(${value.map(() => '?').join(', ')})`;
  }
}

/**
 * A number that has no SQL spelling (`NaN`, `Infinity`) is bound as a string instead: it then
 * matches nothing.
 */
export function bindable(value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

const COMPARISON: Readonly<Record<FilterOperator, string>> = {
  eq: '=',
  ne: '<>',
  lt: '<',
  gt: '>',
  lte: '<=',
  gte: '>=',
  like: 'LIKE',
  notlike: 'NOT LIKE',
};

/** The operator that `-not` turns each one into (for one value). */
const NEGATION: Readonly<Record<FilterOperator, FilterOperator>> = {
  eq: 'ne',
  ne: 'eq',
  lt: 'gte',
  gt: 'lte',
  lte: 'gt',
  gte: 'lt',
  like: 'notlike',
  notlike: 'like',
};

/**
 * A LIKE pattern with a trailing lone `\` escaped: MySQL reads it as a literal `\`, SQLite as a
 * pattern that matches nothing; now both read it as MySQL does.
 */
export function likePattern(value: string): string {
  const trailing = value.length - value.replace(/\\+$/, '').length;
  return trailing % 2 === 1 ? `${value}\\` : value;
}

/** A LIKE pattern that matches `value` itself: `\`, `%` and `_` escaped. */
export function literalPattern(value: string): string {
  return value.replace(/[\\%_]/g, '\\$&');
}

/** How `conditionSql` writes a field's comparisons. */
export interface ConditionOptions {
  /** What follows a LIKE pattern (`SqlDialect.likeEscape`). */
  readonly likeEscape?: string;
  /** For a string field: `SqlDialect.textMatchCollation`. */
  readonly textMatchCollation?: string;
}

/**
 * One condition: `col = :q0`, `col <> :q0` (single `-not`), `col IN (:...q0)`, `col NOT IN (...)`
 * (a list with `-not`, or with `ne`). A list with another operator (the parser refuses those) would
 * mean "any of them", so it stays total. With a `textMatchCollation` (strings on the MySQL family),
 * a LIKE is matched under it, and `=` also needs the value to match as a literal LIKE under it:
 * the index still finds the candidates, and trailing spaces and characters outside the BMP count.
 */
export function conditionSql(
  column: string,
  condition: FilterCondition,
  bag: ParameterBag,
  options: ConditionOptions = {},
): string {
  const operator = condition.negated ? NEGATION[condition.operator] : condition.operator;
  const values = condition.values;
  const likeEscape = options.likeEscape ?? '';
  const collation = options.textMatchCollation;
  const matched = collation === undefined ? column : `${column} COLLATE ${collation}`;
  const compare = (op: FilterOperator, value: string | number) =>
    op === 'like' || op === 'notlike'
      ? `${matched} ${COMPARISON[op]} ${bag.bind(likePattern(String(value)))}${likeEscape}`
      : `${column} ${COMPARISON[op]} ${bag.bind(value)}`;
  if (collation !== undefined && (operator === 'eq' || operator === 'ne')) {
    const candidates =
      values.length === 1
        ? `${column} = ${bag.bind(values[0])}`
        : `${column} IN ${bag.bind([...values])}`;
    const exact = values.map(
      (value) => `${matched} LIKE ${bag.bind(literalPattern(String(value)))}${likeEscape}`,
    );
    const equal = `(${candidates} AND ${exact.length === 1 ? exact[0] : `(${exact.join(' OR ')})`})`;
    return operator === 'ne' ? `NOT ${equal}` : equal;
  }
  if (values.length === 1) return compare(operator, values[0]);
  if (operator === 'eq') return `${column} IN ${bag.bind([...values])}`;
  if (operator === 'ne') return `${column} NOT IN ${bag.bind([...values])}`;
  const any = values.map((value) => compare(condition.operator, value));
  const joined = `(${any.join(' OR ')})`;
  return condition.negated ? `NOT ${joined}` : joined;
}

/**
 * The client's filters folded left to right, `result = (result <logic> next)`, so that
 * `a or b and c` means `(a or b) and c`. Undefined when there is none. The caller parenthesises the
 * whole group, so nothing inside can widen a condition outside it.
 */
export function foldedFiltersSql(
  alias: string,
  filters: readonly ResolvedFilter[],
  dialect: SqlDialect,
  bag: ParameterBag,
): string | undefined {
  let result: string | undefined;
  for (const { condition, column, field } of filters) {
    const next = conditionSql(`${alias}.${dialect.escape(column)}`, condition, bag, {
      likeEscape: dialect.likeEscape,
      textMatchCollation: field.type === 'string' ? dialect.textMatchCollation : undefined,
    });
    result =
      result === undefined
        ? next
        : `(${result} ${condition.logic === 'or' ? 'OR' : 'AND'} ${next})`;
  }
  return result;
}

/** The soft-delete scope of a type for a `trashed` value; undefined when nothing is to be added. */
export function trashedSql(
  alias: string,
  resource: ResourceSchema,
  trashed: TrashedMode,
  dialect: SqlDialect,
): string | undefined {
  if (!resource.softDeletes || trashed === 'with') return undefined;
  const column = `${alias}.${dialect.escape('deleted_at')}`;
  return trashed === 'only' ? `${column} IS NOT NULL` : `${column} IS NULL`;
}

/** The conditions a type always carries (Public playlists only), as bound comparisons. */
export function fixedConditionsSql(
  alias: string,
  resource: ResourceSchema,
  dialect: SqlDialect,
  bag: ParameterBag,
): string[] {
  const conditions: string[] = [];
  for (const [column, value] of Object.entries(resource.fixedConditions ?? {})) {
    conditions.push(`${alias}.${dialect.escape(column)} = ${bag.bind(value)}`);
  }
  return conditions;
}

/**
 * The rows strictly beyond one column's value in the walking order (`ascending` after a `before`
 * flip), NULLs placed as both databases sort them: first ascending, last descending. Undefined when
 * no row can be beyond it (NULL walking descending).
 */
function beyondSql(
  column: string,
  value: CursorValue,
  ascending: boolean,
  nullable: boolean,
  bag: ParameterBag,
): string | undefined {
  if (value === null) {
    if (!ascending) return undefined;
    return nullable ? `${column} IS NOT NULL` : undefined;
  }
  if (ascending) return `${column} > ${bag.bind(value)}`;
  const below = `${column} < ${bag.bind(value)}`;
  return nullable ? `(${below} OR ${column} IS NULL)` : below;
}

/**
 * The keyset condition of a page: the rows after (or, `backwards`, before) the position `values` in
 * the order `terms`. The row-value comparison `(a, b, id) > (:a, :b, :id)` is written out as
 * `a > :a OR (a = :a AND b > :b) OR (a = :a AND b = :b AND id > :id)` (with each term's direction,
 * and NULL-aware), behind a redundant `a >= :a`, which SQLite turns into a range of the
 * `(deleted_at, column, id)` index instead of scanning from the start (MySQL/MariaDB need the index
 * named as well: see index-hint.ts).
 */
export function keysetSql(
  alias: string,
  terms: readonly OrderTerm[],
  values: readonly CursorValue[],
  backwards: boolean,
  dialect: SqlDialect,
  bag: ParameterBag,
): string {
  const columns = terms.map((term) => `${alias}.${dialect.escape(term.column)}`);
  const valueAt = (index: number): CursorValue => values[index] ?? null;
  const ascendingAt = (index: number) => (terms[index].direction === 'ASC') !== backwards;
  // One branch per key that something lies beyond: past a NULL, only an ascending nullable key.
  const branching = terms
    .map((_term, index) => index)
    .filter((index) => valueAt(index) !== null || (ascendingAt(index) && terms[index].nullable));
  if (branching.length === 0) return '1 = 0';
  // A redundant bound on the first key (`a >= :a AND (...)`): SQLite only reads the OR form as a
  // range of the index with it (5 ms → 0.04 ms halfway down 50k rows); NULLs would need an OR.
  // Bound first, as it comes first in the text, and only where there is an OR to bound.
  let bound: string | undefined;
  if (branching.length > 1 && !terms[0].nullable && valueAt(0) !== null) {
    bound = `${columns[0]} ${ascendingAt(0) ? '>=' : '<='} ${bag.bind(valueAt(0))}`;
  }
  // Placeholders are positional: every branch binds its own copies, left to right.
  const branches = branching.map((index) => {
    const equal = columns
      .slice(0, index)
      .map((column, before) =>
        valueAt(before) === null ? `${column} IS NULL` : `${column} = ${bag.bind(valueAt(before))}`,
      );
    const beyond = beyondSql(
      columns[index],
      valueAt(index),
      ascendingAt(index),
      terms[index].nullable,
      bag,
    ) as string;
    return [...equal, beyond].join(' AND ');
  });
  if (branches.length === 1) return `(${branches[0]})`;
  const anyBranch = branches.map((branch) => `(${branch})`).join(' OR ');
  return bound === undefined ? `(${anyBranch})` : `(${bound} AND (${anyBranch}))`;
}
