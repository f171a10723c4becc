import { IMAGE_QUERY_SCHEMA } from '../../image/image.query-schema';
import type { QueryMode, SortSpec, SortTerm } from '../query.types';
import { oneError, queryErrorBody } from '../testing/query-error-body';
import { parseSortParameter } from './sort.parser';

const IMAGE_KEYS =
  'image_id, path, facet, created_at, updated_at, deleted_at (prefix - for descending), or random alone';
const ANIME_KEYS =
  'anime_id, name, slug, year, season, created_at, updated_at, deleted_at (prefix - for descending)';
const PLAYLIST_KEYS =
  'playlist_id, hashid, name, created_at, updated_at, deleted_at (prefix - for descending)';

const asc = (field: string): SortTerm => ({ field, direction: 'ASC' });
const desc = (field: string): SortTerm => ({ field, direction: 'DESC' });

describe('parseSortParameter', () => {
  it.each<[string[], string, QueryMode, string, SortSpec]>([
    [[], 'facet', 'index', 'image', [asc('facet')]],
    [[], '-created_at', 'index', 'image', [desc('created_at')]],
    [[], '-facet,path,-image_id', 'index', 'image', [desc('facet'), asc('path'), desc('image_id')]],
    [[], 'deleted_at, -updated_at', 'index', 'image', [asc('deleted_at'), desc('updated_at')]],
    [[], 'random', 'index', 'image', 'random'],
    [['image'], '-path', 'index', 'image', [desc('path')]],
    [['image'], 'random', 'index', 'image', 'random'],
    [['anime'], '-year,season,name', 'index', 'anime', [desc('year'), asc('season'), asc('name')]],
    [['anime'], 'slug', 'show', 'anime', [asc('slug')]],
    [['artist'], '-artist_id', 'show', 'artist', [desc('artist_id')]],
    [['studio'], 'name,-created_at', 'index', 'studio', [asc('name'), desc('created_at')]],
    [['playlist'], '-hashid', 'index', 'playlist', [desc('hashid')]],
  ])('should accept sort%j=%j on %s', (segments, value, mode, type, spec) => {
    expect(parseSortParameter(segments, value, IMAGE_QUERY_SCHEMA, mode)).toEqual({
      type,
      plain: segments.length === 0,
      spec,
    });
  });

  it.each<[string[], string, QueryMode, string, string]>([
    [[], 'link', 'index', 'sort', `Unknown sort key 'link' in sort. Allowed: ${IMAGE_KEYS}.`],
    [[], 'name', 'index', 'sort', `Unknown sort key 'name' in sort. Allowed: ${IMAGE_KEYS}.`],
    [[], '+facet', 'index', 'sort', `Unknown sort key '+facet' in sort. Allowed: ${IMAGE_KEYS}.`],
    [[], '--facet', 'index', 'sort', `Unknown sort key '--facet' in sort. Allowed: ${IMAGE_KEYS}.`],
    [[], 'Facet', 'index', 'sort', `Unknown sort key 'Facet' in sort. Allowed: ${IMAGE_KEYS}.`],
    [[], 'facet,facet', 'index', 'sort', "sort sorts by 'facet' more than once."],
    [[], 'facet,-facet', 'index', 'sort', "sort sorts by 'facet' more than once."],
    [[], 'random,facet', 'index', 'sort', "random can't be combined with other keys in sort."],
    [[], 'facet,random', 'index', 'sort', "random can't be combined with other keys in sort."],
    [[], 'random,random', 'index', 'sort', "random can't be combined with other keys in sort."],
    [[], '-random', 'index', 'sort', 'random takes no direction in sort.'],
    [[], '', 'index', 'sort', 'sort is empty: leave the parameter out instead.'],
    [[], 'facet,', 'index', 'sort', "sort has an empty entry in 'facet,'."],
    [[], '-', 'index', 'sort', `Unknown sort key '-' in sort. Allowed: ${IMAGE_KEYS}.`],
    [
      ['anime'],
      'media_format',
      'index',
      'sort.anime',
      `Unknown sort key 'media_format' in sort[anime]. Allowed: ${ANIME_KEYS}.`,
    ],
    [
      ['anime'],
      'random',
      'index',
      'sort.anime',
      `Unknown sort key 'random' in sort[anime]. Allowed: ${ANIME_KEYS}.`,
    ],
    [
      ['playlist'],
      'slug',
      'index',
      'sort.playlist',
      `Unknown sort key 'slug' in sort[playlist]. Allowed: ${PLAYLIST_KEYS}.`,
    ],
    [['anime'], 'year,-year', 'show', 'sort.anime', "sort[anime] sorts by 'year' more than once."],
    [
      ['artists'],
      'name',
      'index',
      'sort.artists',
      "Unknown sort parameter 'sort[artists]'. Use sort[<type>] with a type among: image, anime, artist, studio, playlist.",
    ],
    [
      ['anime', 'x'],
      'name',
      'index',
      'sort.anime.x',
      "Unknown sort parameter 'sort[anime][x]'. Use sort[<type>] with a type among: image, anime, artist, studio, playlist.",
    ],
    [
      [],
      'facet',
      'show',
      'sort',
      'sort orders a list of images, so it is not accepted when showing one image. Sort included arrays with sort[<type>] (types: anime, artist, studio, playlist).',
    ],
    [
      ['image'],
      'facet',
      'show',
      'sort.image',
      'sort[image] orders a list of images, so it is not accepted when showing one image. Use sort[<type>] with a type among: anime, artist, studio, playlist.',
    ],
  ])('should refuse sort%j=%j on %s with a 422 at %s', (segments, value, mode, key, message) => {
    expect(
      queryErrorBody(() => parseSortParameter(segments, value, IMAGE_QUERY_SCHEMA, mode)),
    ).toEqual(oneError(key, message));
  });

  it('should refuse random when the schema does not allow it', () => {
    const schema = { ...IMAGE_QUERY_SCHEMA, allowRandomSort: false };
    expect(queryErrorBody(() => parseSortParameter([], 'random', schema, 'index'))).toEqual(
      oneError(
        'sort',
        "Unknown sort key 'random' in sort. Allowed: image_id, path, facet, created_at, updated_at, deleted_at (prefix - for descending).",
      ),
    );
  });
});
