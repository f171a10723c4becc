import type { ParameterObject, SchemaObject } from '@nestjs/swagger';
import {
  bracketedKey,
  DATE_FORMATS_DESCRIPTION,
  describeEnum,
  type FieldDefinition,
  FIELDS_KEY,
  FILTER_KEY,
  HAS_FILTER,
  INCLUDE_KEY,
  MAX_PAGE_NUMBER,
  NEGATION_SUFFIX,
  OPERATORS_BY_TYPE,
  PAGE_KEY,
  PAGE_PARAMETERS,
  type QueryMode,
  RANDOM_SORT,
  type ResourceSchema,
  includeNames,
  resourcesOf,
  type RootResourceSchema,
  SORT_KEY,
  TRASHED_FILTER,
  TRASHED_MODES,
} from '../query';

/**
 * The query parameters of a resource's list (`index`) or show route as flat OpenAPI parameters,
 * generated from its query schema and the parsers' own vocabulary, so the document lists exactly
 * what `parseQuery` accepts (a field made filterable in the schema shows up here by itself).
 *
 * Every parameter keeps its bracketed name (`page[size]`, `filter[anime][year]`): Swagger UI and
 * client generators match parameters by their exact name. Comma lists are arrays serialized as
 * `style: form, explode: false` (`include=anime,artists`). Operator suffixes (`filter[facet-ne]`)
 * are not parameters of their own: the grammar is in each filter's description.
 *
 * No parameter carries an `example`, and only `page[size]` a `default`: Swagger UI pre-fills and
 * sends both, and a pre-filled filter would narrow every request tried from the page.
 */
export function queryParameters(schema: RootResourceSchema, mode: QueryMode): ParameterObject[] {
  const context = new ParameterContext(schema, mode);
  return [
    // The order Swagger UI shows them in: the everyday ones first.
    ...(mode === 'index' ? pageParameters(schema) : []),
    includeParameter(schema),
    ...unscopedFilterParameters(context),
    ...sortParameters(context),
    ...resourcesOf(schema).map((resource) => fieldsParameter(resource)),
    ...scopedFilterParameters(context),
  ];
}

/** Which types a route lets the client address, and how to name them in descriptions. */
class ParameterContext {
  /** The root type on `index`; only the related types on `show`. */
  readonly filterable: readonly ResourceSchema[];
  /** The types of `filter[<type>][...]`: besides those, on `index`, the to-one relations. */
  readonly scoped: readonly ResourceSchema[];
  readonly related: readonly ResourceSchema[];
  /** To-one relations: one object each, filtered by scoped filters only, never sorted. */
  readonly toOne: readonly ResourceSchema[];

  constructor(
    readonly schema: RootResourceSchema,
    readonly mode: QueryMode,
  ) {
    this.related = schema.includes.map((include) => include.resource);
    this.toOne = (schema.belongsTo ?? []).map((relation) => relation.resource);
    this.filterable = mode === 'index' ? [schema, ...this.related] : this.related;
    this.scoped = mode === 'index' ? resourcesOf(schema) : this.related;
  }

  /** `images` for the root type, `included anime` (the include's name) for the others. */
  /** `the listed images and the included `anime`, `artists``. */
  describeTypes(resources: readonly ResourceSchema[]): string {
    const root = resources.some((resource) => resource.type === this.schema.type);
    const related = resources.filter((resource) => resource.type !== this.schema.type);
    const parts = [
      ...(root ? [`the listed ${this.schema.pluralKey}`] : []),
      ...(related.length > 0
        ? [
            `the included ${related.map((resource) => `\`${this.includeName(resource)}\``).join(', ')}`,
          ]
        : []),
    ];
    return parts.join(' and ');
  }

  describeType(resource: ResourceSchema): string {
    if (resource.type === this.schema.type) return `the listed ${this.schema.pluralKey}`;
    return `the included \`${this.includeName(resource)}\``;
  }

  includeName(resource: ResourceSchema): string {
    const include = this.schema.includes.find((candidate) => candidate.resource === resource);
    return include?.name ?? resource.type;
  }

  isToOne(resource: ResourceSchema): boolean {
    return this.toOne.includes(resource);
  }
}

function queryParameter(name: string, description: string, schema: SchemaObject): ParameterObject {
  const list = schema.type === 'array';
  return {
    name,
    in: 'query',
    required: false,
    description,
    ...(list ? { style: 'form', explode: false } : {}),
    schema,
  };
}

function list(items: SchemaObject, extra: SchemaObject = {}): SchemaObject {
  return { type: 'array', items, ...extra };
}

function names(values: readonly string[]): string {
  return values.map((value) => `\`${value}\``).join(', ');
}

const PAGE_DESCRIPTIONS: Readonly<Record<string, (schema: RootResourceSchema) => string>> = {
  size: (schema) =>
    `How many ${schema.pluralKey} a page holds: 1 to ${schema.page.maxSize} (default ${schema.page.defaultSize}).`,
  number: () =>
    'The page to return, from 1 (the default). A page past the end is an empty list, not an error.',
  cursor: () =>
    'Keyset pagination instead of `page[number]`: empty for the first page, then the opaque cursor ' +
    "of a page's `links.next` or `links.prev`, as it is. A cursor only fits the sort and filters " +
    "that made it; it can't be combined with `page[number]` or `sort=random`.",
};

function pageParameters(schema: RootResourceSchema): ParameterObject[] {
  return PAGE_PARAMETERS.map((parameter) => {
    const name = bracketedKey(PAGE_KEY, [parameter]);
    const describe = PAGE_DESCRIPTIONS[parameter] ?? (() => `Pagination: ${name}.`);
    const limits: SchemaObject =
      parameter === 'size'
        ? { minimum: 1, maximum: schema.page.maxSize, default: schema.page.defaultSize }
        : parameter === 'number'
          ? { minimum: 1, maximum: MAX_PAGE_NUMBER }
          : {};
    const type = parameter === 'size' || parameter === 'number' ? 'integer' : 'string';
    const described = queryParameter(name, describe(schema), { type, ...limits });
    // `page[cursor]=` starts a keyset walk: Swagger UI offers to send it empty only with this.
    return parameter === 'cursor' ? { ...described, allowEmptyValue: true } : described;
  });
}

function includeParameter(schema: RootResourceSchema): ParameterObject {
  const includes = includeNames(schema);
  const toMany =
    schema.includes.length === 0
      ? ''
      : 'Each becomes an array after the fields (`[]` when there is none); only Public playlists and ' +
        'rows that are not soft-deleted are included unless `filter[trashed]` says otherwise.';
  const toOne =
    schema.belongsTo === undefined
      ? ''
      : `Each of ${names(schema.belongsTo.map((relation) => relation.name))} becomes one object after the fields (a ${schema.singularKey} whose side is soft-deleted or hidden is never listed).`;
  return queryParameter(
    INCLUDE_KEY,
    `Related resources to embed in each ${schema.singularKey}, as a comma list of ${names(includes)}. ` +
      [toMany, toOne].filter((text) => text !== '').join(' '),
    list({ type: 'string', enum: [...includes] }, { uniqueItems: true }),
  );
}

function fieldsParameter(resource: ResourceSchema): ParameterObject {
  const all = resource.fields.map((field) => field.name);
  const defaults = resource.fields.filter((field) => field.default).map((field) => field.name);
  return queryParameter(
    bracketedKey(FIELDS_KEY, [resource.type]),
    `Sparse fieldset of \`${resource.type}\`: a comma list of ${names(all)}. ` +
      `Listed fields render in this order; without it: ${names(defaults)}.`,
    list({ type: 'string', enum: all }, { uniqueItems: true }),
  );
}

function sortValues(resource: ResourceSchema): string[] {
  return resource.fields
    .filter((field) => field.sortable)
    .flatMap((field) => [field.name, `-${field.name}`]);
}

function sortParameters(context: ParameterContext): ParameterObject[] {
  const { schema, mode } = context;
  const root: ParameterObject[] = [];
  const randomValue = schema.allowRandomSort ? [RANDOM_SORT] : [];
  const random = schema.allowRandomSort ? ` or \`${RANDOM_SORT}\` alone` : '';
  const keys = (schema.keyColumns ?? [schema.primaryKey]).map((key) => `\`${key}\``).join(', ');
  const tieBreaker = `${keys} ascending is the default and always the final tie-breaker`;
  if (mode === 'index') {
    root.push(
      queryParameter(
        SORT_KEY,
        `Order of the ${schema.pluralKey}: a comma list of keys, each prefixed \`-\` for descending${random}. ` +
          `${tieBreaker}. Can't be combined with \`sort[<type>]\`; each key at most once.`,
        list(
          { type: 'string', enum: [...sortValues(schema), ...randomValue] },
          { uniqueItems: true },
        ),
      ),
    );
  }
  const sorted = (mode === 'index' ? resourcesOf(schema) : context.related).filter(
    (resource) => !context.isToOne(resource),
  );
  const typed = sorted.map((resource) => {
    const isRoot = resource.type === schema.type;
    const what = isRoot
      ? `Order of the ${schema.pluralKey} (the object form of \`sort\`; \`sort\` and \`sort[<type>]\` can't be mixed)${random}. ${tieBreaker}.`
      : `Order of ${context.describeType(resource)} arrays; by \`${resource.primaryKey}\` ascending when not given.`;
    return queryParameter(
      bracketedKey(SORT_KEY, [resource.type]),
      `${what} A comma list of keys, each prefixed \`-\` for descending.`,
      list(
        { type: 'string', enum: [...sortValues(resource), ...(isRoot ? randomValue : [])] },
        { uniqueItems: true },
      ),
    );
  });
  return [...root, ...typed];
}

/** The schema of one filter value (the parameter is a comma list of them: IN). */
function filterValueSchema(field: FieldDefinition): SchemaObject {
  switch (field.type) {
    case 'int':
      // The parser's bound (a JavaScript number that is still exact).
      return {
        type: 'integer',
        minimum: -Number.MAX_SAFE_INTEGER,
        maximum: Number.MAX_SAFE_INTEGER,
      };
    case 'enum':
      return { type: 'string', enum: Object.values(field.enum?.names ?? {}) };
    case 'date':
      return { type: 'string' };
    case 'string':
      return { type: 'string' };
  }
}

function describeValues(field: FieldDefinition): string {
  switch (field.type) {
    case 'int':
      return 'whole numbers';
    case 'enum':
      return `one of ${describeEnum(field.enum ?? { names: {}, aliases: {} })}`;
    case 'date':
      return `dates (${DATE_FORMATS_DESCRIPTION}); missing parts mean the start of the period`;
    case 'string':
      return 'text, used as written';
  }
}

function describeGrammar(key: string, field: FieldDefinition): string {
  const operators = OPERATORS_BY_TYPE[field.type];
  const stem = key.slice(0, -1);
  const like = operators.includes('like')
    ? ' `like`/`notlike` take SQL LIKE patterns (`%` any text, `_` one character).'
    : '';
  return (
    `Operators go in the key: \`${stem}-<op>]\` with ${names(operators)} (\`eq\` is the default), ` +
    `or \`${stem}-${NEGATION_SUFFIX}]\` for NOT IN (\`<>\` for one value); then \`-or\` ORs the ` +
    `condition with the ones before it (\`${stem}-${operators[1]}-or]\`), \`-and\` being the default. ` +
    `A comma list means IN (not with a comparison operator); \`\\,\` is a literal comma.${like}`
  );
}

function filterParameter(
  key: string,
  field: FieldDefinition,
  targets: string,
  effect: string,
): ParameterObject {
  return queryParameter(
    key,
    `**${field.type}** filter on ${targets}: ${describeValues(field)}. ${effect} ` +
      describeGrammar(key, field),
    list(filterValueSchema(field)),
  );
}

/** Unscoped `filter[<field>]` for every filterable field of the types the route filters. */
function unscopedFilterParameters(context: ParameterContext): ParameterObject[] {
  const { schema, mode } = context;
  const byName = new Map<string, { field: FieldDefinition; resources: ResourceSchema[] }>();
  for (const resource of context.filterable) {
    for (const field of resource.fields.filter((candidate) => candidate.filterable)) {
      const entry = byName.get(field.name) ?? { field, resources: [] };
      entry.resources.push(resource);
      byName.set(field.name, entry);
    }
  }
  const parameters = [...byName.values()].map(({ field, resources }) => {
    const onRoot = resources.some((resource) => resource.type === schema.type);
    const related = resources.filter((resource) => resource.type !== schema.type);
    const effect = onRoot
      ? related.length === 0
        ? `Narrows which ${schema.pluralKey} are listed.`
        : `Narrows which ${schema.pluralKey} are listed and the included arrays of those types.`
      : `Narrows only the included arrays (no effect when the type is not included)${mode === 'index' ? ', and what `filter[has]` counts' : ''}.`;
    return filterParameter(
      bracketedKey(FILTER_KEY, [field.name]),
      field,
      context.describeTypes(resources),
      effect,
    );
  });
  if (context.filterable.some((resource) => resource.softDeletes)) {
    parameters.push(
      queryParameter(
        bracketedKey(FILTER_KEY, [TRASHED_FILTER]),
        mode === 'index'
          ? `Soft-deleted rows: \`without\` (the default), \`with\` or \`only\`. Applies to the ${schema.pluralKey} and to every included type (\`filter[<type>][trashed]\` overrides it for one type).`
          : `Soft-deleted rows in the included arrays: \`without\` (the default), \`with\` or \`only\` (\`filter[<type>][trashed]\` overrides it for one type). A soft-deleted ${schema.singularKey} is shown anyway.`,
        { type: 'string', enum: [...TRASHED_MODES] },
      ),
    );
  }
  if (mode === 'index' && schema.includes.length > 0) {
    const includes = schema.includes.map((include) => include.name);
    parameters.push(
      queryParameter(
        bracketedKey(FILTER_KEY, [HAS_FILTER]),
        `Only ${schema.pluralKey} with at least one related row of each listed relation (${names(includes)}) that the include would show: not soft-deleted unless \`filter[trashed]\` says so, Public playlists only, that type's filters applied. \`filter[${HAS_FILTER}-or]\` means any of them.`,
        list({ type: 'string', enum: includes }, { uniqueItems: true }),
      ),
    );
  }
  return parameters;
}

/** `filter[<type>][<field>]` and `filter[<type>][trashed]` for every type the route filters. */
function scopedFilterParameters(context: ParameterContext): ParameterObject[] {
  const { schema } = context;
  return context.scoped.flatMap((resource) => {
    const isRoot = resource.type === schema.type;
    const toOne = context.isToOne(resource);
    const effect = isRoot
      ? `Narrows which ${schema.pluralKey} are listed, never the included arrays.`
      : toOne
        ? `Lists only the ${schema.pluralKey} whose \`${resource.type}\` matches (included or not).`
        : `Narrows only the included \`${context.includeName(resource)}\` arrays, never which ${schema.pluralKey} are listed${context.mode === 'index' ? ' (except through `filter[has]`)' : ''}.`;
    const conditions = resource.fields
      .filter((field) => field.filterable)
      .map((field) =>
        filterParameter(
          bracketedKey(FILTER_KEY, [resource.type, field.name]),
          field,
          toOne
            ? `the \`${resource.type}\` of the ${schema.pluralKey}`
            : context.describeType(resource),
          effect,
        ),
      );
    if (!resource.softDeletes || toOne) return conditions;
    const trashed = queryParameter(
      bracketedKey(FILTER_KEY, [resource.type, TRASHED_FILTER]),
      `Soft-deleted rows of ${context.describeType(resource)} only: \`without\`, \`with\` or \`only\`; overrides \`filter[trashed]\` for this type.`,
      { type: 'string', enum: [...TRASHED_MODES] },
    );
    return [...conditions, trashed];
  });
}
