import { defineField, defineTimestampFields, type ResourceSchema } from '../query';

/** The query surface of an included studio (API.md sections 3 and 4). */
export const STUDIO_QUERY_SCHEMA: ResourceSchema = {
  type: 'studio',
  table: 'studios',
  primaryKey: 'studio_id',
  softDeletes: true,
  fields: [
    defineField('studio_id', 'int', { default: true, filterable: true, sortable: true }),
    defineField('name', 'string', { default: true, filterable: true, sortable: true }),
    defineField('slug', 'string', {
      default: true,
      filterable: true,
      sortable: true,
      unique: true,
    }),
    ...defineTimestampFields(false),
  ],
};
