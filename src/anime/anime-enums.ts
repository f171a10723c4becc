// The display names are wire types of the client package: one list for both sides.
export { ANIME_MEDIA_FORMAT_NAMES, ANIME_SEASON_NAMES } from '@image-api/client';
