import { IMAGE_QUERY_SCHEMA } from '../../image/image.query-schema';
import type { FilterCondition, QueryMode } from '../query.types';
import { oneError, queryErrorBody } from '../testing/query-error-body';
import { parseFilterParameter, type ParsedFilterParameter } from './filter.parser';

const ALL_TYPES = ['image', 'anime', 'artist', 'studio', 'playlist'];
const RELATED_TYPES = ['anime', 'artist', 'studio', 'playlist'];
const NAMED_TYPES = ['anime', 'artist', 'studio', 'playlist'];
const INDEX_FILTERS =
  'image_id, path, facet, created_at, updated_at, deleted_at, anime_id, name, slug, year, season, media_format, artist_id, studio_id, playlist_id, hashid, trashed, has';
const SHOW_FILTERS =
  'anime_id, name, slug, year, season, media_format, created_at, updated_at, deleted_at, artist_id, studio_id, playlist_id, hashid, trashed';
const DATE_FORMATS =
  'Formats: YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH, YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS, YYYY-MM-DDTHH:MM:SS.ffffff (1 to 6 fraction digits), each optionally ending in Z; all UTC, years 0001 to 9999.';
const SUFFIXES =
  'Operators: eq, ne, lt, gt, lte, gte, like, notlike, or not for NOT IN; logic: and, or.';

/** The key of a filter parameter, from its bracketed parts: `['anime', 'year']` → `filter.anime.year`. */
const keyOf = (segments: string[]) => ['filter', ...segments].join('.');

function condition(
  segments: string[],
  field: string,
  values: (string | number)[],
  appliesTo: string[],
  options: Partial<FilterCondition> = {},
): ParsedFilterParameter {
  return {
    kind: 'condition',
    condition: {
      key: keyOf(segments),
      ...(segments.length === 2 ? { scope: segments[0] } : {}),
      field,
      operator: 'eq',
      logic: 'and',
      negated: false,
      values,
      appliesTo,
      ...options,
    },
  };
}

describe('parseFilterParameter', () => {
  describe('conditions', () => {
    it.each<[string[], string, QueryMode, ParsedFilterParameter]>([
      [['facet'], 'Cover', 'index', condition(['facet'], 'facet', [1], ['image'])],
      [['facet'], 'Cover,Grill', 'index', condition(['facet'], 'facet', [1, 2], ['image'])],
      [['facet'], 'cover,Large Cover', 'index', condition(['facet'], 'facet', [1], ['image'])],
      [['facet'], 'small cover', 'index', condition(['facet'], 'facet', [0], ['image'])],
      [
        ['facet-not'],
        'Grill,Cover',
        'index',
        condition(['facet-not'], 'facet', [2, 1], ['image'], { negated: true }),
      ],
      [
        ['facet-not'],
        'Grill',
        'index',
        condition(['facet-not'], 'facet', [2], ['image'], { negated: true }),
      ],
      [
        ['facet-ne'],
        'Grill',
        'index',
        condition(['facet-ne'], 'facet', [2], ['image'], { operator: 'ne' }),
      ],
      [['facet-eq'], 'Cover,Grill', 'index', condition(['facet-eq'], 'facet', [1, 2], ['image'])],
      [
        ['facet-or'],
        'GRILL',
        'index',
        condition(['facet-or'], 'facet', [2], ['image'], { logic: 'or' }),
      ],
      [
        ['facet-and'],
        'Grill',
        'index',
        condition(['facet-and'], 'facet', [2], ['image'], { logic: 'and' }),
      ],
      [
        ['facet-ne-or'],
        'Grill',
        'index',
        condition(['facet-ne-or'], 'facet', [2], ['image'], { operator: 'ne', logic: 'or' }),
      ],
      [
        ['facet-not-or'],
        'Grill,Cover',
        'index',
        condition(['facet-not-or'], 'facet', [2, 1], ['image'], { negated: true, logic: 'or' }),
      ],
      [
        ['path-like'],
        '%cover%',
        'index',
        condition(['path-like'], 'path', ['%cover%'], ['image'], { operator: 'like' }),
      ],
      [
        ['path-notlike'],
        'anime/_%',
        'index',
        condition(['path-notlike'], 'path', ['anime/_%'], ['image'], { operator: 'notlike' }),
      ],
      [
        ['path-like'],
        '%a\\,b%',
        'index',
        condition(['path-like'], 'path', ['%a,b%'], ['image'], { operator: 'like' }),
      ],
      [['path'], 'a\\,b', 'index', condition(['path'], 'path', ['a,b'], ['image'])],
      [['path'], 'a\\,b,c', 'index', condition(['path'], 'path', ['a,b', 'c'], ['image'])],
      [['path'], "x' OR 1=1 --", 'index', condition(['path'], 'path', ["x' OR 1=1 --"], ['image'])],
      [
        ['image_id-gte'],
        '10',
        'index',
        condition(['image_id-gte'], 'image_id', [10], ['image'], { operator: 'gte' }),
      ],
      [['image_id'], '1,2,3,2', 'index', condition(['image_id'], 'image_id', [1, 2, 3], ['image'])],
      [
        ['created_at-gte'],
        '2024',
        'index',
        condition(['created_at-gte'], 'created_at', ['2024-01-01 00:00:00.000000'], ALL_TYPES, {
          operator: 'gte',
        }),
      ],
      [
        ['deleted_at-lt'],
        '2024-01-15T12:00:00.5Z',
        'index',
        condition(['deleted_at-lt'], 'deleted_at', ['2024-01-15 12:00:00.500000'], ALL_TYPES, {
          operator: 'lt',
        }),
      ],
      [['year'], '2020', 'index', condition(['year'], 'year', [2020], ['anime'])],
      [['year'], '-1', 'index', condition(['year'], 'year', [-1], ['anime'])],
      [['season'], 'winter,FALL', 'index', condition(['season'], 'season', [0, 3], ['anime'])],
      [
        ['media_format'],
        'tv short',
        'index',
        condition(['media_format'], 'media_format', [2], ['anime']),
      ],
      [
        ['name-like'],
        '%a%',
        'index',
        condition(['name-like'], 'name', ['%a%'], NAMED_TYPES, { operator: 'like' }),
      ],
      [['hashid'], 'abc', 'index', condition(['hashid'], 'hashid', ['abc'], ['playlist'])],
      [
        ['anime', 'year-gte'],
        '2020',
        'index',
        condition(['anime', 'year-gte'], 'year', [2020], ['anime'], { operator: 'gte' }),
      ],
      [
        ['image', 'facet'],
        'Grill',
        'index',
        condition(['image', 'facet'], 'facet', [2], ['image']),
      ],
      [
        ['image', 'created_at-lt'],
        '2024-02-29',
        'index',
        condition(
          ['image', 'created_at-lt'],
          'created_at',
          ['2024-02-29 00:00:00.000000'],
          ['image'],
          {
            operator: 'lt',
          },
        ),
      ],
      [
        ['playlist', 'name-or'],
        'Mix',
        'index',
        condition(['playlist', 'name-or'], 'name', ['Mix'], ['playlist'], { logic: 'or' }),
      ],
      [['year'], '2020', 'show', condition(['year'], 'year', [2020], ['anime'])],
      [
        ['created_at-gte'],
        '2024-01',
        'show',
        condition(['created_at-gte'], 'created_at', ['2024-01-01 00:00:00.000000'], RELATED_TYPES, {
          operator: 'gte',
        }),
      ],
      [
        ['artist', 'name-like'],
        'A%',
        'show',
        condition(['artist', 'name-like'], 'name', ['A%'], ['artist'], { operator: 'like' }),
      ],
    ])('should parse filter%j=%j on %s', (segments, value, mode, expected) => {
      expect(parseFilterParameter(segments, value, IMAGE_QUERY_SCHEMA, mode)).toEqual(expected);
    });
  });

  describe('trashed and has', () => {
    it.each<[string[], string, QueryMode, ParsedFilterParameter]>([
      [['trashed'], 'with', 'index', { kind: 'trashed', mode: 'with' }],
      [['trashed'], 'without', 'index', { kind: 'trashed', mode: 'without' }],
      [['trashed'], 'ONLY', 'index', { kind: 'trashed', mode: 'only' }],
      [['trashed'], 'only', 'show', { kind: 'trashed', mode: 'only' }],
      [['anime', 'trashed'], 'only', 'index', { kind: 'trashed', scope: 'anime', mode: 'only' }],
      [['anime', 'trashed'], 'with', 'show', { kind: 'trashed', scope: 'anime', mode: 'with' }],
      [['image', 'trashed'], 'with', 'index', { kind: 'trashed', scope: 'image', mode: 'with' }],
      [['has'], 'anime', 'index', { kind: 'has', relations: ['anime'], logic: 'and' }],
      [
        ['has'],
        'anime,artists',
        'index',
        { kind: 'has', relations: ['anime', 'artists'], logic: 'and' },
      ],
      [['has-and'], 'studios', 'index', { kind: 'has', relations: ['studios'], logic: 'and' }],
      [
        ['has-or'],
        'playlists, studios',
        'index',
        { kind: 'has', relations: ['playlists', 'studios'], logic: 'or' },
      ],
    ])('should parse filter%j=%j on %s', (segments, value, mode, expected) => {
      expect(parseFilterParameter(segments, value, IMAGE_QUERY_SCHEMA, mode)).toEqual(expected);
    });
  });

  describe('refusals', () => {
    it.each<[string[], string, QueryMode, string]>([
      [
        ['foo'],
        'x',
        'index',
        `Unknown filter 'foo' in filter[foo]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['Facet'],
        'x',
        'index',
        `Unknown filter 'Facet' in filter[Facet]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['link'],
        'x',
        'index',
        `Unknown filter 'link' in filter[link]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['synopsis'],
        'x',
        'index',
        `Unknown filter 'synopsis' in filter[synopsis]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['visibility'],
        'Private',
        'index',
        `Unknown filter 'visibility' in filter[visibility]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['anime'],
        '1',
        'index',
        `Unknown filter 'anime' in filter[anime]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['-eq'],
        '1',
        'index',
        `Unknown filter '' in filter[-eq]. Allowed filters: ${INDEX_FILTERS}.`,
      ],
      [
        ['facet-like'],
        'Cover',
        'index',
        "The operator 'like' is not allowed in filter[facet-like] (facet is of type enum). Allowed operators: eq, ne, or -not for NOT IN / <>.",
      ],
      [
        ['facet-gt'],
        'Cover',
        'index',
        "The operator 'gt' is not allowed in filter[facet-gt] (facet is of type enum). Allowed operators: eq, ne, or -not for NOT IN / <>.",
      ],
      [
        ['year-like'],
        '20%',
        'index',
        "The operator 'like' is not allowed in filter[year-like] (year is of type int). Allowed operators: eq, ne, lt, gt, lte, gte, or -not for NOT IN / <>.",
      ],
      [
        ['path-lt'],
        'b',
        'index',
        "The operator 'lt' is not allowed in filter[path-lt] (path is of type string). Allowed operators: eq, ne, like, notlike, or -not for NOT IN / <>.",
      ],
      [
        ['created_at-like'],
        '2024',
        'index',
        "The operator 'like' is not allowed in filter[created_at-like] (created_at is of type date). Allowed operators: eq, ne, lt, gt, lte, gte, or -not for NOT IN / <>.",
      ],
      [
        ['facet-foo'],
        'Cover',
        'index',
        `filter[facet-foo] does not follow filter[<field>[-<op>][-<logic>]]: unexpected 'foo'. ${SUFFIXES}`,
      ],
      [
        ['facet-or-ne'],
        'Cover',
        'index',
        `filter[facet-or-ne] does not follow filter[<field>[-<op>][-<logic>]]: unexpected 'ne'. ${SUFFIXES}`,
      ],
      [
        ['facet-eq-not'],
        'Cover',
        'index',
        `filter[facet-eq-not] does not follow filter[<field>[-<op>][-<logic>]]: unexpected 'not'. ${SUFFIXES}`,
      ],
      [
        ['facet-'],
        'Cover',
        'index',
        `filter[facet-] does not follow filter[<field>[-<op>][-<logic>]]: unexpected ''. ${SUFFIXES}`,
      ],
      [
        ['facet-EQ'],
        'Cover',
        'index',
        `filter[facet-EQ] does not follow filter[<field>[-<op>][-<logic>]]: unexpected 'EQ'. ${SUFFIXES}`,
      ],
      [
        ['facet-eq-or-and'],
        'Cover',
        'index',
        `filter[facet-eq-or-and] does not follow filter[<field>[-<op>][-<logic>]]: unexpected 'and'. ${SUFFIXES}`,
      ],
      [
        ['facet-ne'],
        'Cover,Grill',
        'index',
        "A comma-separated value means IN and can't be used with the operator 'ne' in filter[facet-ne]. Use -not for NOT IN. Write a literal comma as \\,.",
      ],
      [
        ['image_id-lt'],
        '1,2',
        'index',
        "A comma-separated value means IN and can't be used with the operator 'lt' in filter[image_id-lt]. Write a literal comma as \\,.",
      ],
      [
        ['path-like'],
        '%a,b%',
        'index',
        "A comma-separated value means IN and can't be used with the operator 'like' in filter[path-like]. Write a literal comma as \\,.",
      ],
      [
        ['facet'],
        'Foo',
        'index',
        "'Foo' is not a valid value for filter[facet]. Allowed: Small Cover, Cover, Grill (case-insensitive; also: Large Cover).",
      ],
      [
        ['facet'],
        '1',
        'index',
        "'1' is not a valid value for filter[facet]. Allowed: Small Cover, Cover, Grill (case-insensitive; also: Large Cover).",
      ],
      [
        ['facet-not'],
        'Cover,Foo',
        'index',
        "'Foo' is not a valid value for filter[facet-not]. Allowed: Small Cover, Cover, Grill (case-insensitive; also: Large Cover).",
      ],
      [
        ['season'],
        'Autumn',
        'index',
        "'Autumn' is not a valid value for filter[season]. Allowed: Winter, Spring, Summer, Fall (case-insensitive).",
      ],
      [
        ['anime', 'media_format'],
        'Film',
        'index',
        "'Film' is not a valid value for filter[anime][media_format]. Allowed: Unknown, TV, TV Short, OVA, Movie, Special, ONA (case-insensitive).",
      ],
      ...['1.5', 'abc', '1e3', '99999999999999999', '0x1', ' 1'].map(
        (value): [string[], string, QueryMode, string] => [
          ['image_id'],
          value,
          'index',
          `'${value}' is not a valid value for filter[image_id]: give a whole number (such as 2020) within ±9007199254740991.`,
        ],
      ),
      ...['2024-02-30', '2024-13', '24', '2024-01-01 10:00', 'yesterday'].map(
        (value): [string[], string, QueryMode, string] => [
          ['created_at-gte'],
          value,
          'index',
          `'${value}' is not a valid date for filter[created_at-gte]. ${DATE_FORMATS}`,
        ],
      ),
      [['facet'], '', 'index', 'filter[facet] has an empty value.'],
      [['facet'], 'Cover,', 'index', 'filter[facet] has an empty value.'],
      [['path'], '', 'index', 'filter[path] has an empty value.'],
      [
        ['image_id'],
        Array.from({ length: 101 }, (_, index) => index).join(','),
        'index',
        'filter[image_id] lists more than 100 values.',
      ],
      [
        ['trashed'],
        'all',
        'index',
        "'all' is not a valid value for filter[trashed]. Allowed: with, without, only.",
      ],
      [
        ['trashed'],
        '',
        'index',
        "'' is not a valid value for filter[trashed]. Allowed: with, without, only.",
      ],
      [
        ['trashed-or'],
        'with',
        'index',
        'trashed takes no operator or logic; use with, without, only.',
      ],
      [
        ['anime', 'trashed-eq'],
        'with',
        'index',
        'trashed takes no operator or logic; use with, without, only.',
      ],
      [
        ['has'],
        'foo',
        'index',
        "Unknown relation 'foo' in filter[has]. Allowed: anime, artists, studios, playlists.",
      ],
      [
        ['has'],
        'artist',
        'index',
        "Unknown relation 'artist' in filter[has]. Allowed: anime, artists, studios, playlists.",
      ],
      [['has'], 'anime,anime', 'index', "filter[has] lists 'anime' more than once."],
      [['has'], '', 'index', 'filter[has] is empty: leave the parameter out instead.'],
      [
        ['has-ne'],
        'anime',
        'index',
        'has takes no operator: use filter[has] (all of them) or filter[has-or] (any of them).',
      ],
      [
        ['has-not'],
        'anime',
        'index',
        'has takes no operator: use filter[has] (all of them) or filter[has-or] (any of them).',
      ],
      [
        ['has'],
        'anime',
        'show',
        'filter[has] selects which images are listed, so it is not accepted when showing one image.',
      ],
      [
        ['has-or'],
        'anime',
        'show',
        'filter[has-or] selects which images are listed, so it is not accepted when showing one image.',
      ],
      [
        ['images', 'facet'],
        'Cover',
        'index',
        "Unknown type 'images' in filter[images][facet]. Types: image, anime, artist, studio, playlist.",
      ],
      [
        ['artists', 'name'],
        'x',
        'index',
        "Unknown type 'artists' in filter[artists][name]. Types: image, anime, artist, studio, playlist.",
      ],
      [
        ['anime', 'facet'],
        'Cover',
        'index',
        "Unknown filter 'facet' for anime in filter[anime][facet]. Allowed: anime_id, name, slug, year, season, media_format, created_at, updated_at, deleted_at, trashed.",
      ],
      [
        ['anime', 'synopsis-like'],
        '%x%',
        'index',
        "Unknown filter 'synopsis' for anime in filter[anime][synopsis-like]. Allowed: anime_id, name, slug, year, season, media_format, created_at, updated_at, deleted_at, trashed.",
      ],
      [
        ['anime', 'has'],
        'anime',
        'index',
        "Unknown filter 'has' for anime in filter[anime][has]. Allowed: anime_id, name, slug, year, season, media_format, created_at, updated_at, deleted_at, trashed.",
      ],
      [
        ['playlist', 'visibility'],
        'Private',
        'index',
        "Unknown filter 'visibility' for playlist in filter[playlist][visibility]. Allowed: playlist_id, hashid, name, created_at, updated_at, deleted_at, trashed.",
      ],
      [
        ['facet'],
        'Cover',
        'show',
        `filter[facet] filters the listed images, so it is not accepted when showing one image; filters here narrow the included arrays. Allowed filters: ${SHOW_FILTERS}.`,
      ],
      [
        ['image_id'],
        '1',
        'show',
        `filter[image_id] filters the listed images, so it is not accepted when showing one image; filters here narrow the included arrays. Allowed filters: ${SHOW_FILTERS}.`,
      ],
      [
        ['path-like'],
        '%a%',
        'show',
        `filter[path-like] filters the listed images, so it is not accepted when showing one image; filters here narrow the included arrays. Allowed filters: ${SHOW_FILTERS}.`,
      ],
      [
        ['foo'],
        'x',
        'show',
        `Unknown filter 'foo' in filter[foo]. Allowed filters: ${SHOW_FILTERS}.`,
      ],
      [
        ['image', 'facet'],
        'Cover',
        'show',
        'filter[image][facet] filters the listed images, so it is not accepted when showing one image. Types: anime, artist, studio, playlist.',
      ],
      [
        ['image', 'trashed'],
        'with',
        'show',
        'filter[image][trashed] filters the listed images, so it is not accepted when showing one image. Types: anime, artist, studio, playlist.',
      ],
      [
        [],
        'x',
        'index',
        'filter must name a field: filter[<field>[-<op>][-<logic>]]=<value> or filter[<type>][<field>[-<op>][-<logic>]]=<value>.',
      ],
      [
        ['anime', 'year', 'x'],
        '1',
        'index',
        'filter must name a field: filter[<field>[-<op>][-<logic>]]=<value> or filter[<type>][<field>[-<op>][-<logic>]]=<value>.',
      ],
    ])('should refuse filter%j=%j on %s', (segments, value, mode, message) => {
      expect(
        queryErrorBody(() => parseFilterParameter(segments, value, IMAGE_QUERY_SCHEMA, mode)),
      ).toEqual(oneError(keyOf(segments), message));
    });
  });
});
