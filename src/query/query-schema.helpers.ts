import type {
  EnumDefinition,
  FieldDefinition,
  FieldType,
  ParsedQuery,
  ResourceSchema,
  RootResourceSchema,
} from './query.types';

export interface FieldOptions {
  /** The database column; defaults to the field name. `null` for a computed field. */
  readonly column?: string | null;
  readonly enum?: EnumDefinition;
  readonly default?: boolean;
  readonly filterable?: boolean;
  readonly sortable?: boolean;
  readonly requires?: readonly string[];
  readonly nullable?: boolean;
  readonly unique?: boolean;
}

/** Declares one field of a query schema; flags default to false, the column to the field name. */
export function defineField(
  name: string,
  type: FieldType,
  options: FieldOptions = {},
): FieldDefinition {
  const column = options.column === undefined ? name : (options.column ?? undefined);
  return {
    name,
    ...(column === undefined ? {} : { column }),
    type,
    ...(options.enum === undefined ? {} : { enum: options.enum }),
    default: options.default ?? false,
    filterable: options.filterable ?? false,
    sortable: options.sortable ?? false,
    ...(options.requires === undefined ? {} : { requires: options.requires }),
    ...(options.nullable === true ? { nullable: true } : {}),
    ...(options.unique === true ? { unique: true } : {}),
  };
}

/**
 * An enum from its display names by int (`['Winter', 'Spring', ...]` or `{0: 'Small Cover'}`), plus
 * extra accepted input names (`{'large cover': 1}`). Input names are matched lower-cased.
 */
export function defineEnum(
  names: readonly string[] | Readonly<Record<number, string>>,
  extraAliases: Readonly<Record<string, number>> = {},
): EnumDefinition {
  const byInt: Record<number, string> = {};
  const entries = Object.entries(names).map(([int, name]): [number, string] => [Number(int), name]);
  const aliases: Record<string, number> = {};
  for (const [int, name] of entries) {
    byInt[int] = name;
    aliases[name.toLowerCase()] = int;
  }
  for (const [alias, int] of Object.entries(extraAliases)) aliases[alias.toLowerCase()] = int;
  return { names: byInt, aliases };
}

/** The root and every include's resource, root first, then in include order (to-one ones last). */
export function resourcesOf(schema: RootResourceSchema): readonly ResourceSchema[] {
  return [
    schema,
    ...schema.includes.map((include) => include.resource),
    ...(schema.belongsTo ?? []).map((relation) => relation.resource),
  ];
}

/** The types of a root's to-one relations (`anime`, `image` of animeimage). */
export function belongsToTypes(schema: RootResourceSchema): readonly string[] {
  return (schema.belongsTo ?? []).map((relation) => relation.resource.type);
}

/** Every include name: the to-many relations, then the to-one ones. */
export function includeNames(schema: RootResourceSchema): readonly string[] {
  return [
    ...schema.includes.map((include) => include.name),
    ...(schema.belongsTo ?? []).map((relation) => relation.name),
  ];
}

/** All columns of the primary key (a composite key lists several). */
export function keyColumnsOf(resource: ResourceSchema): readonly string[] {
  return resource.keyColumns ?? [resource.primaryKey];
}

export function findResource(schema: RootResourceSchema, type: string): ResourceSchema | undefined {
  return resourcesOf(schema).find((resource) => resource.type === type);
}

export function findField(resource: ResourceSchema, name: string): FieldDefinition | undefined {
  return resource.fields.find((field) => field.name === name);
}

/**
 * The filter conditions on one type, in query-string order (the order they fold in). Root conditions
 * narrow the listed rows; an include type's conditions narrow its included arrays (and `has`).
 */
export function filtersFor(query: ParsedQuery, type: string): ParsedQuery['filters'] {
  return query.filters.filter((condition) =>
    condition.appliesTo === undefined
      ? condition.scope === type
      : condition.appliesTo.includes(type),
  );
}

/**
 * Fails fast (at import) on a schema the parsers could not judge consistently: duplicate types,
 * includes or fields; a filterable/sortable field without a column; an enum field without values;
 * a computed field needing an unknown column; or one filter name with different types on different
 * resources (an unscoped `filter[name]` is parsed once for all of them).
 */
export function assertQuerySchema(schema: RootResourceSchema): void {
  const problems: string[] = [];
  const resources = resourcesOf(schema);
  const types = resources.map((resource) => resource.type);
  if (new Set(types).size !== types.length) problems.push(`duplicate types: ${types.join(', ')}`);
  const names = includeNames(schema);
  if (new Set(names).size !== names.length) problems.push('duplicate include names');
  const keys = keyColumnsOf(schema);
  if (keys[0] !== schema.primaryKey) problems.push('keyColumns must start with the primary key');
  for (const relation of schema.belongsTo ?? []) {
    if (!schema.fields.some((field) => field.column === relation.foreignKey)) {
      problems.push(`${relation.name}: the foreign key ${relation.foreignKey} is not a column`);
    }
  }
  const filterTypes = new Map<string, string>();
  for (const resource of resources) {
    const names = resource.fields.map((field) => field.name);
    if (new Set(names).size !== names.length) problems.push(`${resource.type}: duplicate fields`);
    if (findField(resource, resource.primaryKey)?.column !== resource.primaryKey) {
      problems.push(`${resource.type}: the primary key must be a field with its own column`);
    }
    for (const field of resource.fields) {
      const where = `${resource.type}.${field.name}`;
      if ((field.filterable || field.sortable) && field.column === undefined) {
        problems.push(`${where}: filterable or sortable without a column`);
      }
      if ((field.type === 'enum') !== (field.enum !== undefined)) {
        problems.push(`${where}: an enum field needs an enum definition, and only it`);
      }
      for (const column of field.requires ?? []) {
        if (!resource.fields.some((other) => other.column === column)) {
          problems.push(`${where}: requires unknown column ${column}`);
        }
      }
      if (field.filterable) {
        const signature = `${field.type}:${JSON.stringify(field.enum ?? null)}`;
        const seen = filterTypes.get(field.name);
        if (seen !== undefined && seen !== signature) {
          problems.push(`${where}: filter type differs from another type's ${field.name}`);
        }
        filterTypes.set(field.name, signature);
      }
      if (!/^[A-Za-z0-9_]+$/.test(field.name)) {
        problems.push(`${where}: names may only use letters, digits and _ (- separates operators)`);
      }
      if (['trashed', 'has'].includes(field.name) && field.filterable) {
        problems.push(`${where}: '${field.name}' is a reserved filter name`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`Invalid query schema '${schema.type}': ${problems.join('; ')}`);
  }
}

/**
 * `created_at`, `updated_at` (rendered by default when `renderedByDefault`) and `deleted_at` (only
 * when asked for): date fields, filterable and sortable.
 */
export function defineTimestampFields(renderedByDefault: boolean): FieldDefinition[] {
  const options = { filterable: true, sortable: true };
  return [
    defineField('created_at', 'date', { ...options, default: renderedByDefault }),
    defineField('updated_at', 'date', { ...options, default: renderedByDefault }),
    defineField('deleted_at', 'date', { ...options, nullable: true }),
  ];
}
