import {
  defineEnum,
  defineField,
  defineTimestampFields,
  type EnumDefinition,
  type ResourceSchema,
} from '../query';
import { PlaylistVisibility } from './playlist-visibility';

export const PLAYLIST_VISIBILITY_ENUM: EnumDefinition = defineEnum({
  [PlaylistVisibility.Public]: 'Public',
  [PlaylistVisibility.Private]: 'Private',
  [PlaylistVisibility.Unlisted]: 'Unlisted',
});

/**
 * The query surface of an included playlist (API.md sections 3 and 4). Only Public playlists are
 * ever included: the fixed condition is applied to every playlist query and no filter can widen it.
 */
export const PLAYLIST_QUERY_SCHEMA: ResourceSchema = {
  type: 'playlist',
  table: 'playlists',
  primaryKey: 'playlist_id',
  softDeletes: true,
  fields: [
    defineField('playlist_id', 'int', { default: true, filterable: true, sortable: true }),
    defineField('hashid', 'string', {
      default: true,
      filterable: true,
      sortable: true,
      unique: true,
    }),
    defineField('name', 'string', { default: true, filterable: true, sortable: true }),
    defineField('visibility', 'enum', { enum: PLAYLIST_VISIBILITY_ENUM, default: true }),
    defineField('description', 'string'),
    ...defineTimestampFields(false),
  ],
  fixedConditions: { visibility: PlaylistVisibility.Public },
};
