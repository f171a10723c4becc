/**
 * The shared vocabulary of the QueryModule: how a resource declares its query surface (the schema),
 * and the typed, validated query the parsers hand to the repository. Knows nothing about images.
 *
 * Flow: raw input (a query string's flat bracketed keys, or a nested plain object from a message
 * transport) → `normalizeQueryInput` → ordered `[key, value]` pairs → one parser per parameter family
 * judged against the `RootResourceSchema` → `ParsedQuery` → applied to a TypeORM query builder.
 */

export type FieldType = 'int' | 'string' | 'enum' | 'date';
export type FilterOperator = 'eq' | 'ne' | 'lt' | 'gt' | 'lte' | 'gte' | 'like' | 'notlike';
export type FilterLogic = 'and' | 'or';
export type SortDirection = 'ASC' | 'DESC';
export type TrashedMode = 'with' | 'without' | 'only';

/** Which operators each field type allows (API.md section 4). */
export const OPERATORS_BY_TYPE: Readonly<Record<FieldType, readonly FilterOperator[]>> = {
  int: ['eq', 'ne', 'lt', 'gt', 'lte', 'gte'],
  date: ['eq', 'ne', 'lt', 'gt', 'lte', 'gte'],
  string: ['eq', 'ne', 'like', 'notlike'],
  enum: ['eq', 'ne'],
};

export interface EnumDefinition {
  /** int → display name, as rendered in JSON. */
  readonly names: Readonly<Record<number, string>>;
  /** lower-cased accepted input name → int (display names plus aliases such as `large cover`). */
  readonly aliases: Readonly<Record<string, number>>;
}

export interface FieldDefinition {
  /** The name a client uses in `fields[...]`, `filter[...]`, `sort` and sees in JSON. */
  readonly name: string;
  /** The database column; undefined for computed fields (such as `link`). */
  readonly column?: string;
  readonly type: FieldType;
  readonly enum?: EnumDefinition;
  /** Rendered when the client gives no `fields[type]`. */
  readonly default: boolean;
  readonly filterable: boolean;
  readonly sortable: boolean;
  /** Columns a computed field needs loaded (e.g. `link` needs `path`). */
  readonly requires?: readonly string[];
  /** The column may hold NULL (NULLs sort first ascending): keyset pages must step over them. */
  readonly nullable?: boolean;
  /**
   * Each value names at most one row (a unique index, like the primary key's): an equality filter
   * on it pins the type to a few rows (`selectPage` keeps the database's own plan then).
   */
  readonly unique?: boolean;
}

export interface ResourceSchema {
  /** The type name in `fields[type]`, `filter[type][...]`, `sort[type]` (`image`, `anime`, `artist`). */
  readonly type: string;
  readonly table: string;
  /** The primary key column, also the field name (`image_id`); the first of `keyColumns`. */
  readonly primaryKey: string;
  /**
   * Every column of a composite primary key, in order (a pivot: `['anime_id', 'image_id']`): all
   * are loaded, tie-break the sort and name one row. Absent: `[primaryKey]`.
   */
  readonly keyColumns?: readonly string[];
  /** Whether the table has `deleted_at` (soft delete). */
  readonly softDeletes: boolean;
  /** In the order they render. */
  readonly fields: readonly FieldDefinition[];
  /**
   * A fixed condition every query of this type carries, never widened by client filters
   * (playlists: only `visibility = 0`, Public, are ever shown). Column → value.
   */
  readonly fixedConditions?: Readonly<Record<string, number | string>>;
}

export interface IncludeDefinition {
  /** The include name and the JSON key of the array (`anime`, `artists`, `studios`, `playlists`). */
  readonly name: string;
  readonly resource: ResourceSchema;
  /** The pivot table (`anime_image`) and its two keys. */
  readonly pivotTable: string;
  readonly pivotOwnerKey: string;
  readonly pivotRelatedKey: string;
  /** Pivot columns rendered under an object on each related row: `artistimage: { depth }`. */
  readonly pivotObject?: { readonly name: string; readonly columns: readonly string[] };
}

/**
 * A to-one relation of a root resource (a pivot's link → its anime): the root row's `foreignKey`
 * holds the related row's primary key. `include=<name>` renders it as one object, not an array. A
 * root row is only ever listed or shown while its related row is visible (not soft-deleted, its
 * fixed conditions met), and scoped filters on the related type select root rows.
 */
export interface BelongsToDefinition {
  /** The include name and the JSON key of the object (`anime`, `image`). */
  readonly name: string;
  readonly resource: ResourceSchema;
  /** The root's column holding the related primary key (`anime_id`). */
  readonly foreignKey: string;
}

export interface PageLimits {
  readonly defaultSize: number;
  readonly maxSize: number;
}

export interface RootResourceSchema extends ResourceSchema {
  /** The JSON key of a list (`images`) and of one item (`image`). */
  readonly pluralKey: string;
  readonly singularKey: string;
  readonly includes: readonly IncludeDefinition[];
  /** To-one relations (see `BelongsToDefinition`); their names are includes too. */
  readonly belongsTo?: readonly BelongsToDefinition[];
  readonly page: PageLimits;
  /** Whether `sort=random` is allowed. */
  readonly allowRandomSort: boolean;
}

/** One filter condition, in the order the client wrote it. */
export interface FilterCondition {
  /** The original key as the client wrote it, dotted for errors: `filter.facet-ne`. */
  readonly key: string;
  /** The type a scoped key names (`filter[anime][year]`), or undefined for an unscoped key. */
  readonly scope?: string;
  readonly field: string;
  readonly operator: FilterOperator;
  readonly logic: FilterLogic;
  /** `-not`: NOT IN for a list, `<>` for one value. */
  readonly negated: boolean;
  /**
   * Validated and converted for binding: ints as numbers, enums as their int, dates as database
   * timestamp strings (`2024-01-01 00:00:00.000000`), strings as given (`\,` unescaped).
   * More than one value means IN (or NOT IN when negated).
   */
  readonly values: readonly (string | number)[];
  /**
   * The types this condition filters, resolved by `parseQuery` (always set by it): a scoped key →
   * `[scope]`; an unscoped key → the root type (index only) and every include type that has the
   * filter, in schema order. Root conditions narrow the listed rows; the others narrow included arrays.
   */
  readonly appliesTo?: readonly string[];
}

export interface SortTerm {
  readonly field: string;
  readonly direction: SortDirection;
}

export type SortSpec = readonly SortTerm[] | 'random';

export interface ParsedQuery {
  /** The include names asked for, in the schema's order (the order the arrays render in). */
  readonly include: readonly string[];
  /**
   * type → the fields asked for, in the schema's (render) order, whatever order the client listed
   * them in; a type that is absent renders its defaults.
   */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly filters: readonly FilterCondition[];
  readonly trashed: TrashedMode;
  /**
   * The effective trashed mode of every type (root and each include type), set by `parseQuery`:
   * a scoped `filter[<type>][trashed]` overrides the unscoped `filter[trashed]` for that type.
   * Read it with `trashedFor(query, resource)` (query-plan.ts).
   */
  readonly trashedByType?: Readonly<Record<string, TrashedMode>>;
  /** `filter[has]` / `filter[has-or]`. */
  readonly has?: { readonly relations: readonly string[]; readonly logic: FilterLogic };
  /**
   * type → sort, only for types the client sorted (absent = the default: id ascending); the root
   * type's key is its own type name (`image`). The id tie-breaker is not included here.
   */
  readonly sort: Readonly<Record<string, SortSpec>>;
  readonly page: {
    readonly size: number;
    readonly number: number;
    /**
     * `page[cursor]` as sent (keyset pagination): `''` asks for the first page, anything else is an
     * opaque cursor from `links.next`/`links.prev`, verified against the query where it is used.
     * Absent: offset pagination by `number`.
     */
    readonly cursor?: string;
  };
}

/** Where a query is used: the list route, or the show route (which accepts less). */
export type QueryMode = 'index' | 'show';
