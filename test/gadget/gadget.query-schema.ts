import { ANIME_QUERY_SCHEMA } from '../../src/anime/anime.query-schema';
import {
  assertQuerySchema,
  defineField,
  defineReadableResource,
  defineTimestampFields,
  type RootResourceSchema,
} from '../../src/query';

/**
 * A resource that exists only in the tests (docs/adding-a-resource.md): gadgets with a name, a
 * weight, a `label` computed from the name, soft deletes, and the anime they appear in.
 */
export const GADGET_QUERY_SCHEMA: RootResourceSchema = {
  type: 'gadget',
  table: 'gadgets',
  primaryKey: 'gadget_id',
  softDeletes: true,
  pluralKey: 'gadgets',
  singularKey: 'gadget',
  fields: [
    defineField('gadget_id', 'int', { default: true, filterable: true, sortable: true }),
    defineField('name', 'string', { default: true, filterable: true, sortable: true }),
    defineField('weight', 'int', { default: true, filterable: true, sortable: true }),
    defineField('label', 'string', { column: null, default: true, requires: ['name'] }),
    ...defineTimestampFields(false),
  ],
  includes: [
    {
      name: 'anime',
      resource: ANIME_QUERY_SCHEMA,
      pivotTable: 'anime_gadget',
      pivotOwnerKey: 'gadget_id',
      pivotRelatedKey: 'anime_id',
    },
  ],
  page: { defaultSize: 2, maxSize: 10 },
  allowRandomSort: false,
};

assertQuerySchema(GADGET_QUERY_SCHEMA);

const LABEL = Object.freeze({ label: (row: { name?: unknown }) => `#${String(row.name)}` });

export const GADGET_RESOURCE = defineReadableResource({
  schema: GADGET_QUERY_SCHEMA,
  computedFields: () => LABEL,
});
