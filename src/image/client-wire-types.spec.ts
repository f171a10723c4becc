import {
  FILTER_OPERATORS,
  IMAGE_FACET_ALIASES,
  IMAGE_FACET_NAMES,
  IMAGE_INCLUDES,
  PLAYLIST_VISIBILITY_NAMES,
  QUERY_TYPES,
} from '@image-api/client';
import { PLAYLIST_VISIBILITY_ENUM } from '../playlist/playlist.query-schema';
import { OPERATORS_BY_TYPE, type ResourceSchema } from '../query';
import { IMAGE_FACET_ENUM, IMAGE_QUERY_SCHEMA } from './image.query-schema';

/**
 * The client package's query types are built from its tables (`QUERY_TYPES`...): they must say
 * exactly what the server's query schemas accept, or a typed query would compile and be refused
 * (or the other way round).
 */
function surfaceOf(schema: ResourceSchema) {
  return {
    fields: schema.fields.map((field) => field.name),
    filters: Object.fromEntries(
      schema.fields.filter((field) => field.filterable).map((field) => [field.name, field.type]),
    ),
    sorts: schema.fields.filter((field) => field.sortable).map((field) => field.name),
  };
}

describe("the client package's wire types", () => {
  const schemas: Record<string, ResourceSchema> = {
    image: IMAGE_QUERY_SCHEMA,
    ...Object.fromEntries(
      IMAGE_QUERY_SCHEMA.includes.map((include) => [include.resource.type, include.resource]),
    ),
  };

  it('should have a query type for exactly the types of the image query schema', () => {
    expect(Object.keys(QUERY_TYPES).sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.keys(QUERY_TYPES))(
    'should list the fields, filters and sorts of %s as its query schema does',
    (type) => {
      const table = QUERY_TYPES[type as keyof typeof QUERY_TYPES];
      expect({ fields: table.fields, filters: table.filters, sorts: table.sorts }).toEqual(
        surfaceOf(schemas[type]),
      );
    },
  );

  it('should name the includes of an image and their types as the schema does', () => {
    expect(IMAGE_INCLUDES).toEqual(
      Object.fromEntries(
        IMAGE_QUERY_SCHEMA.includes.map((include) => [include.name, include.resource.type]),
      ),
    );
  });

  it('should give each filter type the operators the parser accepts', () => {
    expect(FILTER_OPERATORS).toEqual(OPERATORS_BY_TYPE);
  });

  it('should name the facets (and their alias) and playlist visibilities as the server does', () => {
    expect(Object.values(IMAGE_FACET_ENUM.names)).toEqual([...IMAGE_FACET_NAMES]);
    expect(Object.keys(IMAGE_FACET_ENUM.aliases).sort()).toEqual(
      [...IMAGE_FACET_NAMES, ...IMAGE_FACET_ALIASES].map((name) => name.toLowerCase()).sort(),
    );
    expect(Object.values(PLAYLIST_VISIBILITY_ENUM.names)).toEqual([...PLAYLIST_VISIBILITY_NAMES]);
  });
});
