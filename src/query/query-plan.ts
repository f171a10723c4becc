import {
  BelongsToDefinition,
  FieldDefinition,
  FilterCondition,
  IncludeDefinition,
  OPERATORS_BY_TYPE,
  ParsedQuery,
  ResourceSchema,
  SortDirection,
  SortTerm,
  TrashedMode,
} from './query.types';

/**
 * Pure decisions shared by the SQL applier, the include loader and the renderer: which fields a type
 * renders, which columns it must load, which filters reach it. Cached per schema object and per field
 * list, so a request does no schema walking beyond a map lookup.
 */

/** The column under which an included row carries the id of the row that owns it. */
export const OWNER_KEY_ALIAS = '__owner_id';

/** The column under which an included row carries a pivot column (`__pivot_depth`). */
export function pivotAlias(column: string): string {
  return `__pivot_${column}`;
}

export interface FieldPlan {
  /** The fields that render, in the schema's order. */
  readonly rendered: readonly FieldDefinition[];
  /** Every column to select: the rendered ones, the primary key, and what computed fields need. */
  readonly columns: readonly string[];
}

const fieldPlans = new WeakMap<ResourceSchema, Map<string, FieldPlan>>();
const fieldIndexes = new WeakMap<ResourceSchema, ReadonlyMap<string, FieldDefinition>>();

/** The field of a type by its public name. */
export function fieldOf(resource: ResourceSchema, name: string): FieldDefinition | undefined {
  let index = fieldIndexes.get(resource);
  if (index === undefined) {
    index = new Map(resource.fields.map((field) => [field.name, field]));
    fieldIndexes.set(resource, index);
  }
  return index.get(name);
}

/**
 * What a type renders and loads for `fields[type]` (undefined: the defaults). Unknown names are
 * ignored here; the parser has already refused them.
 */
export function planFields(
  resource: ResourceSchema,
  asked: readonly string[] | undefined,
): FieldPlan {
  let plans = fieldPlans.get(resource);
  if (plans === undefined) {
    plans = new Map();
    fieldPlans.set(resource, plans);
  }
  const key = asked === undefined ? '' : `=${asked.join(',')}`;
  const cached = plans.get(key);
  if (cached !== undefined) return cached;

  const wanted = asked === undefined ? undefined : new Set(asked);
  const rendered = resource.fields.filter((field) =>
    wanted === undefined ? field.default : wanted.has(field.name),
  );
  const columns = new Set<string>(resource.keyColumns ?? [resource.primaryKey]);
  for (const field of rendered) {
    if (field.column !== undefined) columns.add(field.column);
    for (const required of field.requires ?? []) {
      const column = fieldOf(resource, required)?.column ?? required;
      columns.add(column);
    }
  }
  const plan: FieldPlan = { rendered, columns: [...columns] };
  // Field lists are validated, so the distinct keys are bounded; the cap is a second fence.
  if (plans.size < 1024) plans.set(key, plan);
  return plan;
}

/** A filter resolved against the type it applies to. */
export interface ResolvedFilter {
  readonly condition: FilterCondition;
  readonly field: FieldDefinition;
  readonly column: string;
}

/**
 * The filters that narrow a type, in query-string order: the ones the parser resolved to it
 * (`appliesTo`); without that resolution, the ones scoped to it and the unscoped ones naming a field
 * the type can filter. Either way a condition only reaches a field the type can filter with that
 * operator, so a key of another type never becomes SQL here.
 */
export function filtersFor(
  resource: ResourceSchema,
  filters: readonly FilterCondition[],
): ResolvedFilter[] {
  const resolved: ResolvedFilter[] = [];
  for (const condition of filters) {
    if (condition.appliesTo !== undefined) {
      if (!condition.appliesTo.includes(resource.type)) continue;
    } else if (condition.scope !== undefined && condition.scope !== resource.type) continue;
    const field = fieldOf(resource, condition.field);
    if (field === undefined || !field.filterable || field.column === undefined) continue;
    if (!OPERATORS_BY_TYPE[field.type].includes(condition.operator)) continue;
    resolved.push({ condition, field, column: field.column });
  }
  return resolved;
}

/** The effective `trashed` mode of a type: its scoped one, else the unscoped one. */
export function trashedFor(query: ParsedQuery, resource: ResourceSchema): TrashedMode {
  return query.trashedByType?.[resource.type] ?? query.trashed;
}

/** The included relations of a query, in the schema's order (the order their arrays render in). */
export function includesOf(
  includes: readonly IncludeDefinition[],
  names: readonly string[],
): IncludeDefinition[] {
  if (names.length === 0) return [];
  return includes.filter((include) => names.includes(include.name));
}

/** The to-one relations a query includes, in the schema's order. */
export function belongsToOf(
  schema: { readonly belongsTo?: readonly BelongsToDefinition[] },
  names: readonly string[],
): BelongsToDefinition[] {
  if (names.length === 0 || schema.belongsTo === undefined) return [];
  return schema.belongsTo.filter((relation) => names.includes(relation.name));
}

/** One ORDER BY term of a list, resolved to its column. */
export interface OrderTerm {
  readonly field: string;
  readonly column: string;
  readonly direction: SortDirection;
  /** NULLs sort first ascending (and last descending) on both databases. */
  readonly nullable: boolean;
}

const orderTermCache = new WeakMap<ResourceSchema, Map<string, readonly OrderTerm[]>>();

/**
 * The ORDER BY of a root type's list for a (non-random) sort: the asked keys, then the primary key
 * (each column of a composite one) as the final tie-breaker, in the direction of the last asked key (ascending by default). Following
 * that direction lets one `(deleted_at, column, primary key)` index, read forwards or backwards,
 * serve every one-key sort both ways, for offset and keyset pages alike. Cached per sort.
 */
export function orderTermsFor(
  resource: ResourceSchema,
  sort: readonly SortTerm[] | undefined,
): readonly OrderTerm[] {
  let cache = orderTermCache.get(resource);
  if (cache === undefined) {
    cache = new Map();
    orderTermCache.set(resource, cache);
  }
  const key = sort === undefined ? '' : sort.map((t) => `${t.field}:${t.direction}`).join(',');
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const terms: OrderTerm[] = [];
  for (const term of sort ?? []) {
    const field = fieldOf(resource, term.field);
    if (field?.column === undefined || terms.some((t) => t.column === field.column)) continue;
    terms.push({
      field: field.name,
      column: field.column,
      direction: term.direction,
      nullable: field.nullable === true,
    });
  }
  // The key (every column of a composite one) breaks ties, in the last asked key's direction.
  const direction = terms.at(-1)?.direction ?? 'ASC';
  for (const column of resource.keyColumns ?? [resource.primaryKey]) {
    if (terms.some((term) => term.column === column)) continue;
    terms.push({ field: column, column, direction, nullable: false });
  }
  // Sorts are validated, so the distinct keys are bounded; the cap is a second fence.
  if (cache.size < 1024) cache.set(key, terms);
  return terms;
}
