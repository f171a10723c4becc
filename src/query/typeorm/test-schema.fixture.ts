import type { FieldDefinition, RootResourceSchema } from '../query.types';

/**
 * A root schema over the real tables, declared by hand so that the generic query code is tested
 * without the image module's own schema. Used by the specs of this folder only.
 */
const field = (
  name: string,
  type: FieldDefinition['type'],
  options: Partial<FieldDefinition> = {},
): FieldDefinition => ({
  name,
  column: name,
  type,
  default: true,
  filterable: true,
  sortable: true,
  ...options,
});

const timestamps = [
  field('created_at', 'date', { default: false }),
  field('updated_at', 'date', { default: false }),
  field('deleted_at', 'date', { default: false, nullable: true }),
];

export const TEST_SCHEMA: RootResourceSchema = {
  type: 'image',
  table: 'images',
  primaryKey: 'image_id',
  softDeletes: true,
  pluralKey: 'images',
  singularKey: 'image',
  page: { defaultSize: 15, maxSize: 100 },
  allowRandomSort: true,
  fields: [
    field('image_id', 'int'),
    field('path', 'string'),
    field('facet', 'enum', {
      enum: { names: { 0: 'Small Cover', 1: 'Cover', 2: 'Grill' }, aliases: {} },
    }),
    field('link', 'string', {
      column: undefined,
      filterable: false,
      sortable: false,
      requires: ['path'],
    }),
    ...timestamps,
  ],
  includes: [
    {
      name: 'anime',
      pivotTable: 'anime_image',
      pivotOwnerKey: 'image_id',
      pivotRelatedKey: 'anime_id',
      resource: {
        type: 'anime',
        table: 'anime',
        primaryKey: 'anime_id',
        softDeletes: true,
        fields: [
          field('anime_id', 'int'),
          field('name', 'string'),
          field('year', 'int'),
          field('season', 'enum', {
            enum: { names: { 0: 'Winter', 1: 'Spring', 2: 'Summer', 3: 'Fall' }, aliases: {} },
          }),
          ...timestamps,
        ],
      },
    },
    {
      name: 'artists',
      pivotTable: 'artist_image',
      pivotOwnerKey: 'image_id',
      pivotRelatedKey: 'artist_id',
      pivotObject: { name: 'artistimage', columns: ['depth'] },
      resource: {
        type: 'artist',
        table: 'artists',
        primaryKey: 'artist_id',
        softDeletes: true,
        fields: [field('artist_id', 'int'), field('name', 'string'), ...timestamps],
      },
    },
    {
      name: 'playlists',
      pivotTable: 'playlist_image',
      pivotOwnerKey: 'image_id',
      pivotRelatedKey: 'playlist_id',
      resource: {
        type: 'playlist',
        table: 'playlists',
        primaryKey: 'playlist_id',
        softDeletes: true,
        fixedConditions: { visibility: 0 },
        fields: [field('playlist_id', 'int'), field('name', 'string'), ...timestamps],
      },
    },
  ],
};
