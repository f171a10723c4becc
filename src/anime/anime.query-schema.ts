import {
  defineEnum,
  defineField,
  defineTimestampFields,
  type EnumDefinition,
  type ResourceSchema,
} from '../query';
import { ANIME_MEDIA_FORMAT_NAMES, ANIME_SEASON_NAMES } from './anime-enums';

export const ANIME_SEASON_ENUM: EnumDefinition = defineEnum(ANIME_SEASON_NAMES);
export const ANIME_MEDIA_FORMAT_ENUM: EnumDefinition = defineEnum(ANIME_MEDIA_FORMAT_NAMES);

/** The query surface of an included anime (API.md sections 3 and 4). */
export const ANIME_QUERY_SCHEMA: ResourceSchema = {
  type: 'anime',
  table: 'anime',
  primaryKey: 'anime_id',
  softDeletes: true,
  fields: [
    defineField('anime_id', 'int', { default: true, filterable: true, sortable: true }),
    defineField('name', 'string', { default: true, filterable: true, sortable: true }),
    defineField('slug', 'string', {
      default: true,
      filterable: true,
      sortable: true,
      unique: true,
    }),
    defineField('year', 'int', { default: true, filterable: true, sortable: true }),
    defineField('season', 'enum', {
      enum: ANIME_SEASON_ENUM,
      default: true,
      filterable: true,
      sortable: true,
    }),
    defineField('media_format', 'enum', {
      enum: ANIME_MEDIA_FORMAT_ENUM,
      default: true,
      filterable: true,
    }),
    defineField('synopsis', 'string'),
    ...defineTimestampFields(false),
  ],
};
