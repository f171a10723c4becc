import { defineField, defineTimestampFields, type ResourceSchema } from '../query';

/** The query surface of an included artist (API.md sections 3 and 4). */
export const ARTIST_QUERY_SCHEMA: ResourceSchema = {
  type: 'artist',
  table: 'artists',
  primaryKey: 'artist_id',
  softDeletes: true,
  fields: [
    defineField('artist_id', 'int', { default: true, filterable: true, sortable: true }),
    defineField('name', 'string', { default: true, filterable: true, sortable: true }),
    defineField('slug', 'string', {
      default: true,
      filterable: true,
      sortable: true,
      unique: true,
    }),
    defineField('information', 'string'),
    ...defineTimestampFields(false),
  ],
};
