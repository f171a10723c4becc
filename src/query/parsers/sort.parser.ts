import { allowedInstead, failParameter, quote } from '../query-error';
import { belongsToTypes, findResource, resourcesOf } from '../query-schema.helpers';
import type {
  QueryMode,
  ResourceSchema,
  RootResourceSchema,
  SortSpec,
  SortTerm,
} from '../query.types';
import { splitIdentifierList } from './identifier-list.parser';

export const SORT_KEY = 'sort';
export const RANDOM_SORT = 'random';

export interface SortListOptions {
  /** The dotted error key: `sort`, `sort.anime`. */
  readonly key: string;
  /** The parameter as written, for messages: `sort`, `sort[anime]`. */
  readonly label: string;
  readonly allowRandom: boolean;
}

function sortableKeys(resource: ResourceSchema): string[] {
  return resource.fields.filter((field) => field.sortable).map((field) => field.name);
}

function describeAllowed(resource: ResourceSchema, allowRandom: boolean): string {
  const random = allowRandom ? `, or ${RANDOM_SORT} alone` : '';
  return `${sortableKeys(resource).join(', ')} (prefix - for descending)${random}`;
}

/**
 * `-created_at,facet` → `[{created_at DESC}, {facet ASC}]` against one type's sortable fields, or
 * `random` alone (when allowed). A key listed twice (whatever its direction), `random` with anything
 * else, `-random`, an unknown key or an empty entry is a 422 at `options.key`.
 */
export function parseSortList(
  value: string,
  resource: ResourceSchema,
  options: SortListOptions,
): SortSpec {
  const { key, label, allowRandom } = options;
  const entries = splitIdentifierList(value, key, label);
  const allowed = sortableKeys(resource);
  const terms: SortTerm[] = [];
  for (const entry of entries) {
    const descending = entry.startsWith('-');
    const field = descending ? entry.slice(1) : entry;
    if (allowRandom && field === RANDOM_SORT) {
      if (descending) failParameter(key, `${RANDOM_SORT} takes no direction in ${label}.`);
      if (entries.length > 1) {
        failParameter(key, `${RANDOM_SORT} can't be combined with other keys in ${label}.`);
      }
      return RANDOM_SORT;
    }
    if (!allowed.includes(field)) {
      failParameter(
        key,
        `Unknown sort key ${quote(entry)} in ${label}. Allowed: ${describeAllowed(resource, allowRandom)}.`,
      );
    }
    if (terms.some((term) => term.field === field)) {
      failParameter(key, `${label} sorts by ${quote(field)} more than once.`);
    }
    terms.push({ field, direction: descending ? 'DESC' : 'ASC' });
  }
  return terms;
}

export interface ParsedSortParameter {
  /** The type sorted (the root type for plain `sort`). */
  readonly type: string;
  /** Whether the client used the string form `sort=` (true) or the object form `sort[type]=`. */
  readonly plain: boolean;
  readonly spec: SortSpec;
}

/**
 * One `sort` (segments `[]`) or `sort[<type>]` (segments `[type]`) parameter, judged against the
 * schema and mode: on show only related types can be sorted.
 */
export function parseSortParameter(
  segments: readonly string[],
  value: string,
  schema: RootResourceSchema,
  mode: QueryMode,
): ParsedSortParameter {
  // A to-one relation renders one object: nothing to sort.
  const toOne = belongsToTypes(schema);
  const types = resourcesOf(schema)
    .map((resource) => resource.type)
    .filter((type) => !toOne.includes(type));
  const relatedTypes = types.filter((type) => type !== schema.type);
  if (segments.length === 0) {
    if (mode === 'show') {
      failParameter(
        SORT_KEY,
        `sort orders a list of ${schema.pluralKey}, so it is not accepted when showing one ${schema.singularKey}. ${allowedInstead(relatedTypes, schema.singularKey, (list) => `Sort included arrays with sort[<type>] (types: ${list}).`)}`,
      );
    }
    const spec = parseSortList(value, schema, {
      key: SORT_KEY,
      label: SORT_KEY,
      allowRandom: schema.allowRandomSort,
    });
    return { type: schema.type, plain: true, spec };
  }
  const key = [SORT_KEY, ...segments].join('.');
  const type = segments[0];
  const resource = segments.length === 1 ? findResource(schema, type) : undefined;
  const allowedTypes = mode === 'show' ? relatedTypes : types;
  if (resource === undefined || !allowedTypes.includes(type)) {
    const refusal = toOne.includes(type)
      ? `sort[${type}] can't be used: each ${schema.singularKey} has one ${type}, there is nothing to order.`
      : resource !== undefined
        ? `sort[${type}] orders a list of ${schema.pluralKey}, so it is not accepted when showing one ${schema.singularKey}.`
        : `Unknown sort parameter ${quote(`sort[${segments.join('][')}]`)}.`;
    failParameter(
      key,
      `${refusal} ${allowedInstead(allowedTypes, schema.singularKey, (list) => `Use sort[<type>] with a type among: ${list}.`)}`,
    );
  }
  const isRoot = type === schema.type;
  const spec = parseSortList(value, resource, {
    key,
    label: `sort[${type}]`,
    allowRandom: isRoot && schema.allowRandomSort,
  });
  return { type, plain: false, spec };
}
