import { IMAGE_QUERY_SCHEMA } from '../../image/image.query-schema';
import { oneError, queryErrorBody } from '../testing/query-error-body';
import { failFieldsShape, parseFieldset } from './fields.parser';

const TYPES = 'Types: image, anime, artist, studio, playlist.';
const IMAGE_FIELDS =
  'Allowed fields: image_id, path, facet, link, created_at, updated_at, deleted_at.';

describe('parseFieldset', () => {
  it.each<[string, string, string[]]>([
    ['image', 'image_id', ['image_id']],
    ['image', 'link,image_id', ['image_id', 'link']],
    ['image', 'deleted_at,path', ['path', 'deleted_at']],
    ['image', 'updated_at , facet', ['facet', 'updated_at']],
    ['anime', 'synopsis,name', ['name', 'synopsis']],
    ['artist', 'information', ['information']],
    ['studio', 'created_at,slug', ['slug', 'created_at']],
    ['playlist', 'description,visibility,hashid', ['hashid', 'visibility', 'description']],
  ])('should accept fields[%s]=%j in render order', (type, value, expected) => {
    expect(parseFieldset(type, value, IMAGE_QUERY_SCHEMA)).toEqual(expected);
  });

  it.each<[string, string, string, string]>([
    ['images', 'path', 'fields.images', `Unknown type 'images' in fields[images]. ${TYPES}`],
    ['artists', 'name', 'fields.artists', `Unknown type 'artists' in fields[artists]. ${TYPES}`],
    ['', 'path', 'fields.', `Unknown type '' in fields[]. ${TYPES}`],
    ['image', 'name', 'fields.image', `Unknown field 'name' in fields[image]. ${IMAGE_FIELDS}`],
    ['image', 'Path', 'fields.image', `Unknown field 'Path' in fields[image]. ${IMAGE_FIELDS}`],
    ['image', 'path,path', 'fields.image', "fields[image] lists 'path' more than once."],
    ['image', '', 'fields.image', 'fields[image] is empty: leave the parameter out instead.'],
    ['image', 'path,', 'fields.image', "fields[image] has an empty entry in 'path,'."],
    [
      'anime',
      'depth',
      'fields.anime',
      "Unknown field 'depth' in fields[anime]. Allowed fields: anime_id, name, slug, year, season, media_format, synopsis, created_at, updated_at, deleted_at.",
    ],
    [
      'artist',
      'artistimage',
      'fields.artist',
      "Unknown field 'artistimage' in fields[artist]. Allowed fields: artist_id, name, slug, information, created_at, updated_at, deleted_at.",
    ],
  ])('should refuse fields[%s]=%j with a 422 at %s', (type, value, key, message) => {
    expect(queryErrorBody(() => parseFieldset(type, value, IMAGE_QUERY_SCHEMA))).toEqual(
      oneError(key, message),
    );
  });

  it.each<[string[], string]>([
    [[], 'fields'],
    [['image', 'x'], 'fields.image.x'],
  ])('should refuse fields with the brackets %j with a 422 at %s', (segments, key) => {
    expect(queryErrorBody(() => failFieldsShape(segments, IMAGE_QUERY_SCHEMA))).toEqual(
      oneError(key, `fields must name one type: fields[<type>]=<comma list of fields>. ${TYPES}`),
    );
  });
});
