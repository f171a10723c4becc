import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import {
  type FieldDefinition,
  FIELDS_KEY,
  INCLUDE_KEY,
  type IncludeDefinition,
  type ResourceSchema,
  type RootResourceSchema,
  TRASHED_FILTER,
} from '../query';
import { isNullableColumn } from './column-nullability';

/** A reference to a schema of `components.schemas`. */
export function schemaRef(name: string): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

/** `image` → `Image`, `media_format` → `MediaFormat`: the component name of a type. */
export function componentName(type: string): string {
  return type
    .split(/[_-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Component names of the list and show bodies of a root resource. */
export function listResponseName(schema: RootResourceSchema): string {
  return `${componentName(schema.singularKey)}ListResponse`;
}
export function itemResponseName(schema: RootResourceSchema): string {
  return `${componentName(schema.singularKey)}Response`;
}

export const PAGINATION_LINKS = 'PaginationLinks';
export const PAGINATION_META = 'PaginationMeta';

/** The rendered form of timestamps: `2024-01-15T12:00:00.000000Z`, always six fraction digits. */
const TIMESTAMP: SchemaObject = {
  type: 'string',
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z$',
};

/** What a field means, where a name does not say enough (the rest get a generic line). */
const FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'image.path': 'Storage path relative to the image disk.',
  'image.facet': 'Image type.',
  'image.link': 'Direct URL to the image: IMAGE_BASE_URL + "/" + path (computed, not stored).',
  'anime.year': 'Premiere year.',
  'anime.season': 'Premiere season.',
  'anime.media_format': 'Media format.',
  'playlist.visibility': 'Always Public: Private and Unlisted playlists are never included.',
  'playlist.hashid': 'Public identifier of the playlist.',
};

function describeField(resource: ResourceSchema, field: FieldDefinition): string {
  const known = FIELD_DESCRIPTIONS[`${resource.type}.${field.name}`];
  const generic = resource.keyColumns?.includes(field.name)
    ? `One of the ${resource.keyColumns.length} columns that together name the ${resource.type}.`
    : field.name === resource.primaryKey
      ? 'Unique identifier.'
      : field.type === 'date'
        ? `ISO 8601 UTC timestamp with microseconds${field.name === 'deleted_at' ? ' (null unless soft-deleted)' : ''}.`
        : `${componentName(field.name)} of the ${resource.type}.`;
  const rendered = field.default
    ? 'Rendered by default.'
    : `Rendered only when listed in \`${FIELDS_KEY}[${resource.type}]\`.`;
  return `${known ?? generic} ${rendered}`;
}

function fieldSchema(resource: ResourceSchema, field: FieldDefinition): SchemaObject {
  const nullable = field.column !== undefined && isNullableColumn(resource.table, field.column);
  const base: SchemaObject =
    field.type === 'int'
      ? { type: 'integer' }
      : field.type === 'date'
        ? { ...TIMESTAMP }
        : field.type === 'enum'
          ? // A nullable enum lists null too: OpenAPI 3.0.3 says `nullable` does not widen `enum`.
            {
              type: 'string',
              enum: [...Object.values(field.enum?.names ?? {}), ...(nullable ? [null] : [])],
            }
          : { type: 'string' };
  return {
    ...base,
    ...(nullable ? { nullable: true } : {}),
    description: describeField(resource, field),
  };
}

/**
 * One rendered resource: every field it can render, none required (`fields[type]` picks them), and
 * nothing else.
 */
export function resourceObject(resource: ResourceSchema, description: string): SchemaObject {
  const properties: Record<string, SchemaObject | ReferenceObject> = {};
  for (const field of resource.fields) properties[field.name] = fieldSchema(resource, field);
  return { type: 'object', description, properties, additionalProperties: false };
}

function pivotObject(include: IncludeDefinition): SchemaObject | undefined {
  if (include.pivotObject === undefined) return undefined;
  const properties: Record<string, SchemaObject> = {};
  for (const column of include.pivotObject.columns) {
    properties[column] = {
      type: 'integer',
      ...(isNullableColumn(include.pivotTable, column) ? { nullable: true } : {}),
    };
  }
  return {
    type: 'object',
    description: `From the \`${include.pivotTable}\` pivot row; rendered whenever ${include.name} are included.`,
    properties,
    required: include.pivotObject.columns.slice(),
    additionalProperties: false,
  };
}

/**
 * `components.schemas` for a root resource: the resource itself (its fields, then one array per
 * include), each included type, the list and show bodies and their pagination parts. Generated from
 * the query schema, so the document shows every field `fields[...]` can ask for.
 */
export function resourceSchemas(schema: RootResourceSchema): Record<string, SchemaObject> {
  const schemas: Record<string, SchemaObject> = {};
  const followers = [
    ...(schema.includes.length > 0 ? ['included relations follow the fields, as arrays'] : []),
    ...((schema.belongsTo ?? []).length > 0 ? ['its included sides follow them, as objects'] : []),
  ];
  const article = /^[aeiou]/i.test(schema.singularKey) ? 'An' : 'A';
  const root = resourceObject(
    schema,
    `${article} ${schema.singularKey}. Its keys depend on \`${FIELDS_KEY}[${schema.type}]\` and \`${INCLUDE_KEY}\`${followers.map((text) => `; ${text}`).join('')}.`,
  );
  for (const include of schema.includes) {
    const related = include.resource;
    const name = componentName(related.type);
    const object = resourceObject(
      related,
      `An included ${related.type} (\`${INCLUDE_KEY}=${include.name}\`); soft-deleted ones only with \`filter[${TRASHED_FILTER}]\`.`,
    );
    const pivot = pivotObject(include);
    if (pivot !== undefined && include.pivotObject !== undefined) {
      object.properties = { ...object.properties, [include.pivotObject.name]: pivot };
      object.required = [include.pivotObject.name];
    }
    schemas[name] = object;
    root.properties = {
      ...root.properties,
      [include.name]: {
        type: 'array',
        description: `With \`${INCLUDE_KEY}=${include.name}\` (\`[]\` when there is none).`,
        items: schemaRef(name),
      },
    };
  }
  for (const relation of schema.belongsTo ?? []) {
    // Inline: the same type renders differently as a to-one side (no arrays, no pivot object).
    root.properties = {
      ...root.properties,
      [relation.name]: resourceObject(
        relation.resource,
        `The ${relation.resource.type} of this ${schema.singularKey}, with \`${INCLUDE_KEY}=${relation.name}\`.`,
      ),
    };
  }
  schemas[componentName(schema.type)] = root;

  const link = (description: string, nullable: boolean): SchemaObject => ({
    type: 'string',
    // Links keep raw brackets (`page[number]=2`): not strict RFC 3986 URIs, so no `format: uri`.
    ...(nullable ? { nullable: true } : {}),
    description,
  });
  schemas[PAGINATION_LINKS] = {
    type: 'object',
    description:
      'Absolute URLs keeping every other query parameter of the request (brackets unencoded). On keyset pages `prev` and `next` carry opaque `page[cursor]` values.',
    properties: {
      first: link('The first page.', false),
      last: link('Always null: no COUNT is run.', true),
      prev: link('The previous page; null on the first page.', true),
      next: link('The next page; null on the last page.', true),
    },
    required: ['first', 'last', 'prev', 'next'],
    additionalProperties: false,
  };
  const position = (description: string): SchemaObject => ({
    type: 'integer',
    minimum: 1,
    nullable: true,
    description,
  });
  schemas[PAGINATION_META] = {
    type: 'object',
    properties: {
      current_page: position('The page number; null on keyset pages (`page[cursor]`).'),
      from: position(
        '1-based position of the first item of the page; null on an empty page and on keyset pages.',
      ),
      path: { type: 'string', description: 'The list URL without its query.' },
      per_page: { type: 'integer', minimum: 1 },
      to: position(
        '1-based position of the last item of the page; null on an empty page and on keyset pages.',
      ),
    },
    required: ['current_page', 'from', 'path', 'per_page', 'to'],
    additionalProperties: false,
  };
  schemas[listResponseName(schema)] = {
    type: 'object',
    properties: {
      [schema.pluralKey]: { type: 'array', items: schemaRef(componentName(schema.type)) },
      links: schemaRef(PAGINATION_LINKS),
      meta: schemaRef(PAGINATION_META),
    },
    required: [schema.pluralKey, 'links', 'meta'],
    additionalProperties: false,
  };
  schemas[itemResponseName(schema)] = {
    type: 'object',
    properties: { [schema.singularKey]: schemaRef(componentName(schema.type)) },
    required: [schema.singularKey],
    additionalProperties: false,
  };
  return schemas;
}
