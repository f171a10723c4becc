import { allowedInstead, failParameter, quote } from '../query-error';
import { bracketedKey } from '../query-key';
import { belongsToTypes, findField, resourcesOf } from '../query-schema.helpers';
import {
  OPERATORS_BY_TYPE,
  type FieldDefinition,
  type FilterCondition,
  type FilterLogic,
  type FilterOperator,
  type QueryMode,
  type ResourceSchema,
  type RootResourceSchema,
  type TrashedMode,
} from '../query.types';
import {
  DATE_FORMATS_DESCRIPTION,
  describeEnum,
  parseDateValue,
  parseEnumValue,
  parseIntegerValue,
  splitFilterValues,
} from './filter-value.parser';
import { firstDuplicate, MAX_LIST_ENTRIES, splitIdentifierList } from './identifier-list.parser';

export const FILTER_KEY = 'filter';
export const TRASHED_FILTER = 'trashed';
export const HAS_FILTER = 'has';
export const TRASHED_MODES: readonly TrashedMode[] = ['with', 'without', 'only'];

/** The operator suffix meaning NOT IN (a list) or `<>` (one value). */
export const NEGATION_SUFFIX = 'not';
const OPERATORS: readonly FilterOperator[] = [
  'eq',
  'ne',
  'lt',
  'gt',
  'lte',
  'gte',
  'like',
  'notlike',
];
const LOGICS: readonly FilterLogic[] = ['and', 'or'];
const GRAMMAR = 'filter[<field>[-<op>][-<logic>]]';

export type ParsedFilterParameter =
  | { readonly kind: 'condition'; readonly condition: FilterCondition }
  | { readonly kind: 'trashed'; readonly scope?: string; readonly mode: TrashedMode }
  | { readonly kind: 'has'; readonly relations: readonly string[]; readonly logic: FilterLogic };

export interface FilterSuffixes {
  readonly operator?: FilterOperator;
  readonly negated: boolean;
  readonly logic?: FilterLogic;
}

interface FilterContext {
  /** `filter.anime.year-gte` */
  readonly key: string;
  /** `filter[anime][year-gte]` */
  readonly label: string;
}

function isOperator(token: string): token is FilterOperator {
  return (OPERATORS as readonly string[]).includes(token);
}

function isLogic(token: string): token is FilterLogic {
  return (LOGICS as readonly string[]).includes(token);
}

/**
 * The suffixes after a filter's field (`['ne', 'or']` of `facet-ne-or`): an optional operator (or
 * `not`), then an optional logic; anything else is a 422.
 */
export function parseFilterSuffixes(
  suffixes: readonly string[],
  context: FilterContext,
): FilterSuffixes {
  let index = 0;
  let operator: FilterOperator | undefined;
  let negated = false;
  let logic: FilterLogic | undefined;
  const first = suffixes[index];
  if (first !== undefined && (isOperator(first) || first === NEGATION_SUFFIX)) {
    if (first === NEGATION_SUFFIX) negated = true;
    else operator = first;
    index += 1;
  }
  const second = suffixes[index];
  if (second !== undefined && isLogic(second)) {
    logic = second;
    index += 1;
  }
  if (index !== suffixes.length) {
    failParameter(
      context.key,
      `${context.label} does not follow ${GRAMMAR}: unexpected ${quote(suffixes[index])}. Operators: ${OPERATORS.join(', ')}, or ${NEGATION_SUFFIX} for NOT IN; logic: ${LOGICS.join(', ')}.`,
    );
  }
  return { operator, negated, logic };
}

function describeOperators(field: FieldDefinition): string {
  return `${OPERATORS_BY_TYPE[field.type].join(', ')}, or -${NEGATION_SUFFIX} for NOT IN / <>`;
}

function filterNames(resources: readonly ResourceSchema[]): string[] {
  const names = resources.flatMap((resource) =>
    resource.fields.filter((field) => field.filterable).map((field) => field.name),
  );
  return [...new Set(names)];
}

/** The unscoped filters that are not fields: `trashed` (with soft deletes), `has` (index). */
function specialFilters(
  schema: RootResourceSchema,
  visible: readonly ResourceSchema[],
  mode: QueryMode,
): string[] {
  const special: string[] = [];
  if (visible.some((resource) => resource.softDeletes)) special.push(TRASHED_FILTER);
  if (mode === 'index' && schema.includes.length > 0) special.push(HAS_FILTER);
  return special;
}

function convertValue(
  text: string,
  field: FieldDefinition,
  context: FilterContext,
): string | number {
  if (text === '') failParameter(context.key, `${context.label} has an empty value.`);
  switch (field.type) {
    case 'string':
      return text;
    case 'int': {
      const value = parseIntegerValue(text);
      if (value === undefined) {
        failParameter(
          context.key,
          `${quote(text)} is not a valid value for ${context.label}: give a whole number (such as 2020) within ±9007199254740991.`,
        );
      }
      return value;
    }
    case 'date': {
      const value = parseDateValue(text);
      if (value === undefined) {
        failParameter(
          context.key,
          `${quote(text)} is not a valid date for ${context.label}. Formats: ${DATE_FORMATS_DESCRIPTION}.`,
        );
      }
      return value;
    }
    case 'enum': {
      const definition = field.enum ?? { names: {}, aliases: {} };
      const value = parseEnumValue(text, definition);
      if (value === undefined) {
        failParameter(
          context.key,
          `${quote(text)} is not a valid value for ${context.label}. Allowed: ${describeEnum(definition)}.`,
        );
      }
      return value;
    }
  }
}

function parseCondition(
  targets: readonly { resource: ResourceSchema; field: FieldDefinition }[],
  scope: string | undefined,
  suffixes: readonly string[],
  value: string,
  context: FilterContext,
): FilterCondition {
  const { operator, negated, logic } = parseFilterSuffixes(suffixes, context);
  // Every target has the same type and enum (assertQuerySchema), so the first one judges for all.
  const field = targets[0].field;
  if (operator !== undefined && !OPERATORS_BY_TYPE[field.type].includes(operator)) {
    failParameter(
      context.key,
      `The operator ${quote(operator)} is not allowed in ${context.label} (${field.name} is of type ${field.type}). Allowed operators: ${describeOperators(field)}.`,
    );
  }
  const texts = splitFilterValues(value);
  if (texts.length > MAX_LIST_ENTRIES) {
    failParameter(context.key, `${context.label} lists more than ${MAX_LIST_ENTRIES} values.`);
  }
  if (texts.length > 1 && operator !== undefined && operator !== 'eq') {
    const hint = operator === 'ne' ? ` Use -${NEGATION_SUFFIX} for NOT IN.` : '';
    failParameter(
      context.key,
      `A comma-separated value means IN and can't be used with the operator ${quote(operator)} in ${context.label}.${hint} Write a literal comma as \\,.`,
    );
  }
  const values = [...new Set(texts.map((text) => convertValue(text, field, context)))];
  return {
    key: context.key,
    ...(scope === undefined ? {} : { scope }),
    field: field.name,
    operator: operator ?? 'eq',
    logic: logic ?? 'and',
    negated,
    values,
    appliesTo: targets.map((target) => target.resource.type),
  };
}

function parseTrashed(
  suffixes: readonly string[],
  value: string,
  scope: string | undefined,
  context: FilterContext,
): ParsedFilterParameter {
  const allowed = TRASHED_MODES.join(', ');
  if (suffixes.length > 0) {
    failParameter(context.key, `${TRASHED_FILTER} takes no operator or logic; use ${allowed}.`);
  }
  const mode = TRASHED_MODES.find((candidate) => candidate === value.toLowerCase());
  if (mode === undefined) {
    failParameter(
      context.key,
      `${quote(value)} is not a valid value for ${context.label}. Allowed: ${allowed}.`,
    );
  }
  return { kind: 'trashed', ...(scope === undefined ? {} : { scope }), mode };
}

function parseHas(
  suffixes: readonly string[],
  value: string,
  schema: RootResourceSchema,
  mode: QueryMode,
  context: FilterContext,
): ParsedFilterParameter {
  if (mode === 'show') {
    failParameter(
      context.key,
      `${context.label} selects which ${schema.pluralKey} are listed, so it is not accepted when showing one ${schema.singularKey}.`,
    );
  }
  const logicOnly = suffixes.length === 0 || (suffixes.length === 1 && isLogic(suffixes[0]));
  if (!logicOnly) {
    failParameter(
      context.key,
      `${HAS_FILTER} takes no operator: use filter[${HAS_FILTER}] (all of them) or filter[${HAS_FILTER}-or] (any of them).`,
    );
  }
  const allowed = schema.includes.map((include) => include.name);
  const relations = splitIdentifierList(value, context.key, context.label);
  const unknown = relations.find((relation) => !allowed.includes(relation));
  if (unknown !== undefined) {
    failParameter(
      context.key,
      `Unknown relation ${quote(unknown)} in ${context.label}. Allowed: ${allowed.join(', ')}.`,
    );
  }
  const duplicate = firstDuplicate(relations);
  if (duplicate !== undefined) {
    failParameter(context.key, `${context.label} lists ${quote(duplicate)} more than once.`);
  }
  return { kind: 'has', relations, logic: suffixes[0] === 'or' ? 'or' : 'and' };
}

/**
 * One `filter[...]` parameter (`segments` are its bracketed parts), judged against the schema:
 * - `filter[<field>[-<op>][-<logic>]]` applies to the root type (index only) and every include type
 *   with that filter; it must exist on at least one of them;
 * - `filter[<type>][<field>...]` applies to that type only (on show, not to the root type);
 * - `filter[trashed]` / `filter[<type>][trashed]`, and `filter[has]` / `filter[has-or]` (index only).
 * Every problem is a 422 at the dotted key (`filter.anime.year-gte`).
 */
export function parseFilterParameter(
  segments: readonly string[],
  value: string,
  schema: RootResourceSchema,
  mode: QueryMode,
): ParsedFilterParameter {
  const context = {
    key: [FILTER_KEY, ...segments].join('.'),
    label: bracketedKey(FILTER_KEY, segments),
  };
  // To-one relations take scoped filters only, which select the listed rows (index only).
  const toOne = belongsToTypes(schema);
  const resources = resourcesOf(schema);
  const visible = resources.filter((r) =>
    mode === 'show' ? r.type !== schema.type && !toOne.includes(r.type) : true,
  );
  const unscoped = visible.filter((r) => !toOne.includes(r.type));
  if (segments.length === 0 || segments.length > 2) {
    failParameter(
      context.key,
      `filter must name a field: ${GRAMMAR}=<value> or filter[<type>][<field>[-<op>][-<logic>]]=<value>.`,
    );
  }
  const scope = segments.length === 2 ? segments[0] : undefined;
  const [field, ...suffixes] = segments[segments.length - 1].split('-');

  if (scope !== undefined) {
    const resource = visible.find((candidate) => candidate.type === scope);
    if (resource === undefined) {
      const refusal =
        scope === schema.type || toOne.includes(scope)
          ? `${context.label} filters the listed ${schema.pluralKey}, so it is not accepted when showing one ${schema.singularKey}.`
          : `Unknown type ${quote(scope)} in ${context.label}.`;
      failParameter(
        context.key,
        `${refusal} ${allowedInstead(
          visible.map((candidate) => candidate.type),
          schema.singularKey,
          (list) => `Types: ${list}.`,
        )}`,
      );
    }
    // A to-one relation's soft-deleted rows hide their root rows: no trashed filter for them.
    const trashable = resource.softDeletes && !toOne.includes(scope);
    if (field === TRASHED_FILTER && trashable) {
      return parseTrashed(suffixes, value, scope, context);
    }
    const definition = findField(resource, field);
    if (definition === undefined || !definition.filterable) {
      const special = trashable ? [TRASHED_FILTER] : [];
      failParameter(
        context.key,
        `Unknown filter ${quote(field)} for ${scope} in ${context.label}. Allowed: ${[...filterNames([resource]), ...special].join(', ')}.`,
      );
    }
    const condition = parseCondition(
      [{ resource, field: definition }],
      scope,
      suffixes,
      value,
      context,
    );
    return { kind: 'condition', condition };
  }

  const special = specialFilters(schema, unscoped, mode);
  if (field === TRASHED_FILTER && special.includes(TRASHED_FILTER)) {
    return parseTrashed(suffixes, value, undefined, context);
  }
  if (field === HAS_FILTER && schema.includes.length > 0) {
    return parseHas(suffixes, value, schema, mode, context);
  }
  const targets = unscoped.flatMap((resource) => {
    const definition = findField(resource, field);
    return definition?.filterable === true ? [{ resource, field: definition }] : [];
  });
  if (targets.length === 0) {
    const allowed = [...filterNames(unscoped), ...special];
    const rootOnly = mode === 'show' && findField(schema, field)?.filterable === true;
    const narrows = allowed.length > 0 ? '; filters here narrow the included arrays' : '';
    const refusal = rootOnly
      ? `${context.label} filters the listed ${schema.pluralKey}, so it is not accepted when showing one ${schema.singularKey}${narrows}.`
      : `Unknown filter ${quote(field)} in ${context.label}.`;
    failParameter(
      context.key,
      `${refusal} ${allowedInstead(allowed, schema.singularKey, (list) => `Allowed filters: ${list}.`)}`,
    );
  }
  return {
    kind: 'condition',
    condition: parseCondition(targets, undefined, suffixes, value, context),
  };
}
