import { ANIME_QUERY_SCHEMA } from '../anime/anime.query-schema';
import { ARTIST_QUERY_SCHEMA } from '../artist/artist.query-schema';
import { joinTableOf } from '../database/table-columns';
import { PLAYLIST_QUERY_SCHEMA } from '../playlist/playlist.query-schema';
import {
  assertQuerySchema,
  defineEnum,
  defineField,
  defineTimestampFields,
  type EnumDefinition,
  type RootResourceSchema,
} from '../query';
import { STUDIO_QUERY_SCHEMA } from '../studio/studio.query-schema';
import { IMAGE_FACET_ALIASES, IMAGE_FACET_NAMES } from './image-facet';
import { Image } from './image.entity';

/** Facets by display name, case-insensitively, plus AnimeThemes' `Large Cover`. */
export const IMAGE_FACET_ENUM: EnumDefinition = defineEnum(IMAGE_FACET_NAMES, IMAGE_FACET_ALIASES);

/**
 * The whole query surface of `GET /image` and `GET /image/:id` (API.md sections 3 and 4): fields in
 * render order, filters and sorts, includes through their pivot tables, page limits. The parsers,
 * the repository and the OpenAPI document all read it.
 */
export const IMAGE_QUERY_SCHEMA: RootResourceSchema = {
  type: 'image',
  table: 'images',
  primaryKey: 'image_id',
  softDeletes: true,
  pluralKey: 'images',
  singularKey: 'image',
  fields: [
    defineField('image_id', 'int', { default: true, filterable: true, sortable: true }),
    defineField('path', 'string', { default: true, filterable: true, sortable: true }),
    defineField('facet', 'enum', {
      enum: IMAGE_FACET_ENUM,
      default: true,
      filterable: true,
      sortable: true,
    }),
    // IMAGE_BASE_URL + '/' + path, computed when rendered.
    defineField('link', 'string', { column: null, default: true, requires: ['path'] }),
    ...defineTimestampFields(true),
  ],
  // The pivot tables and keys come from the entity's @JoinTables.
  includes: [
    {
      name: 'anime',
      resource: ANIME_QUERY_SCHEMA,
      ...joinTableOf(Image, 'anime'),
    },
    {
      name: 'artists',
      resource: ARTIST_QUERY_SCHEMA,
      ...joinTableOf(Image, 'artists'),
      pivotObject: { name: 'artistimage', columns: ['depth'] },
    },
    {
      name: 'studios',
      resource: STUDIO_QUERY_SCHEMA,
      ...joinTableOf(Image, 'studios'),
    },
    {
      name: 'playlists',
      resource: PLAYLIST_QUERY_SCHEMA,
      ...joinTableOf(Image, 'playlists'),
    },
  ],
  page: { defaultSize: 15, maxSize: 100 },
  allowRandomSort: true,
};

assertQuerySchema(IMAGE_QUERY_SCHEMA);
