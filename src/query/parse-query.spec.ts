import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { parseQuery } from './parse-query';
import {
  CURSOR_WITH_NUMBER_MESSAGE,
  CURSOR_WITH_RANDOM_MESSAGE,
  INVALID_CURSOR_MESSAGE,
} from './parsers/page.parser';
import { defineField } from './query-schema.helpers';
import type { ParsedQuery, RootResourceSchema, TrashedMode } from './query.types';
import { oneError, queryErrorBody } from './testing/query-error-body';

const INDEX_PARAMETERS =
  'Allowed parameters: include, fields[<type>], filter[...], sort or sort[<type>], page[size], page[number], page[cursor].';
const SHOW_PARAMETERS =
  'Allowed parameters: include, fields[<type>], filter[...] (of the included types), sort[<type>] (of the included types).';

function trashedEverywhere(mode: TrashedMode): Record<string, TrashedMode> {
  return { image: mode, anime: mode, artist: mode, studio: mode, playlist: mode };
}

const DEFAULT_QUERY: ParsedQuery = {
  include: [],
  fields: {},
  filters: [],
  trashed: 'without',
  trashedByType: trashedEverywhere('without'),
  sort: {},
  page: { size: 15, number: 1 },
};

describe('parseQuery', () => {
  describe('on the list (index)', () => {
    it.each<[string, unknown]>([
      ['undefined', undefined],
      ['an empty string', ''],
      ['an empty object', {}],
    ])('should return the defaults for %s', (_what, input) => {
      expect(parseQuery(input, IMAGE_QUERY_SCHEMA, 'index')).toEqual(DEFAULT_QUERY);
    });

    it('should parse every parameter family of one query string', () => {
      const query = parseQuery(
        'include=anime,artists&fields[image]=link,image_id&fields[anime]=year,name' +
          '&filter[facet-not]=Grill&filter[path-like-or]=%25bebop%25&filter[anime][year-gte]=1998' +
          '&filter[trashed]=with&filter[artist][trashed]=only&filter[has-or]=anime,studios' +
          '&sort=-created_at,facet&page[size]=5&page[number]=3',
        IMAGE_QUERY_SCHEMA,
        'index',
      );
      expect(query).toEqual({
        include: ['anime', 'artists'],
        fields: { image: ['image_id', 'link'], anime: ['name', 'year'] },
        filters: [
          {
            key: 'filter.facet-not',
            field: 'facet',
            operator: 'eq',
            logic: 'and',
            negated: true,
            values: [2],
            appliesTo: ['image'],
          },
          {
            key: 'filter.path-like-or',
            field: 'path',
            operator: 'like',
            logic: 'or',
            negated: false,
            values: ['%bebop%'],
            appliesTo: ['image'],
          },
          {
            key: 'filter.anime.year-gte',
            scope: 'anime',
            field: 'year',
            operator: 'gte',
            logic: 'and',
            negated: false,
            values: [1998],
            appliesTo: ['anime'],
          },
        ],
        trashed: 'with',
        trashedByType: { ...trashedEverywhere('with'), artist: 'only' },
        has: { relations: ['anime', 'studios'], logic: 'or' },
        sort: {
          image: [
            { field: 'created_at', direction: 'DESC' },
            { field: 'facet', direction: 'ASC' },
          ],
        },
        page: { size: 5, number: 3 },
      });
    });

    it.each<[string, ParsedQuery['page']]>([
      ['page[cursor]=', { size: 15, number: 1, cursor: '' }],
      [
        'page[size]=5&page[cursor]=eyJ4IjoxfQ.c2ln',
        { size: 5, number: 1, cursor: 'eyJ4IjoxfQ.c2ln' },
      ],
    ])(
      'should read the keyset page of %j (the cursor is verified where it is used)',
      (input, page) => {
        expect(parseQuery(input, IMAGE_QUERY_SCHEMA, 'index').page).toEqual(page);
      },
    );

    it('should read a nested transport object exactly like the same query string', () => {
      const fromString = parseQuery(
        'filter[facet]=Cover&filter[anime][year]=2020&page[size]=5&include=anime&sort[anime]=-year',
        IMAGE_QUERY_SCHEMA,
        'index',
      );
      const fromObject = parseQuery(
        {
          filter: { facet: 'Cover', anime: { year: 2020 } },
          page: { size: 5 },
          include: 'anime',
          sort: { anime: '-year' },
        },
        IMAGE_QUERY_SCHEMA,
        'index',
      );
      expect(fromObject).toEqual(fromString);
      expect(fromObject.sort).toEqual({ anime: [{ field: 'year', direction: 'DESC' }] });
    });

    it('should keep filters in query-string order, which is the order they fold in', () => {
      const query = parseQuery(
        'filter[year]=2020&filter[image][facet]=Grill&filter[created_at-lt]=2025&filter[facet-or]=Cover',
        IMAGE_QUERY_SCHEMA,
        'index',
      );
      expect(query.filters.map((filter) => [filter.key, filter.appliesTo])).toEqual([
        ['filter.year', ['anime']],
        ['filter.image.facet', ['image']],
        ['filter.created_at-lt', ['image', 'anime', 'artist', 'studio', 'playlist']],
        ['filter.facet-or', ['image']],
      ]);
    });

    it('should let a scoped trashed override the unscoped one for its type only, in either order', () => {
      const expected = { ...trashedEverywhere('only'), image: 'with', playlist: 'without' };
      for (const input of [
        'filter[image][trashed]=with&filter[trashed]=only&filter[playlist][trashed]=without',
        'filter[playlist][trashed]=without&filter[trashed]=only&filter[image][trashed]=with',
      ]) {
        const query = parseQuery(input, IMAGE_QUERY_SCHEMA, 'index');
        expect(query.trashed).toBe('only');
        expect(query.trashedByType).toEqual(expected);
      }
    });

    it('should sort several types with the object form', () => {
      expect(
        parseQuery(
          'sort[image]=random&sort[playlist]=-hashid&sort[anime]=season',
          IMAGE_QUERY_SCHEMA,
          'index',
        ).sort,
      ).toEqual({
        image: 'random',
        playlist: [{ field: 'hashid', direction: 'DESC' }],
        anime: [{ field: 'season', direction: 'ASC' }],
      });
    });

    it.each<[string, string, string]>([
      ['foo=1', 'foo', `Unknown parameter 'foo'. ${INDEX_PARAMETERS}`],
      ['Include=anime', 'Include', `Unknown parameter 'Include'. ${INDEX_PARAMETERS}`],
      ['includes=anime', 'includes', `Unknown parameter 'includes'. ${INDEX_PARAMETERS}`],
      [
        'include[anime]=1',
        'include.anime',
        `Unknown parameter 'include[anime]'. ${INDEX_PARAMETERS}`,
      ],
      [
        'sort[anime][x]=name',
        'sort.anime.x',
        `Unknown parameter 'sort[anime][x]'. ${INDEX_PARAMETERS}`,
      ],
      ['a[b=1', 'a[b', `Unknown parameter 'a[b'. ${INDEX_PARAMETERS}`],
      ['filter]=1', 'filter]', `Unknown parameter 'filter]'. ${INDEX_PARAMETERS}`],
      ['limit=5', 'limit', `Unknown parameter 'limit'. ${INDEX_PARAMETERS}`],
      [
        'page=2',
        'page',
        'Unknown page parameter: use page[size] with page[number] or page[cursor].',
      ],
      [
        'page[offset]=2',
        'page.offset',
        'Unknown page parameter: use page[size] with page[number] or page[cursor].',
      ],
      [
        'fields=path',
        'fields',
        'fields must name one type: fields[<type>]=<comma list of fields>. Types: image, anime, artist, studio, playlist.',
      ],
      [
        'filter=facet',
        'filter',
        'filter must name a field: filter[<field>[-<op>][-<logic>]]=<value> or filter[<type>][<field>[-<op>][-<logic>]]=<value>.',
      ],
      [
        'sort=facet&sort[anime]=name',
        'sort',
        "sort and sort[anime] can't be combined: sort each type with sort[<type>] (sort[image] for the images).",
      ],
      [
        'sort[anime]=name&sort[artist]=name&sort=facet',
        'sort',
        "sort and sort[anime] can't be combined: sort each type with sort[<type>] (sort[image] for the images).",
      ],
      [
        'sort[image]=facet&sort=facet',
        'sort',
        "sort and sort[image] can't be combined: sort each type with sort[<type>] (sort[image] for the images).",
      ],
      [
        'filter[has]=anime&filter[has-or]=studios',
        'filter.has-or',
        "filter[has-or] can't be combined with filter[has]: use one has filter.",
      ],
      ['page[size]=101', 'page.size', "page[size] must be an integer from 1 to 100; got '101'."],
      ['page[cursor]=&page[number]=2', 'page.cursor', CURSOR_WITH_NUMBER_MESSAGE],
      ['page[number]=1&page[cursor]=abc.def', 'page.cursor', CURSOR_WITH_NUMBER_MESSAGE],
      ['sort=random&page[cursor]=', 'page.cursor', CURSOR_WITH_RANDOM_MESSAGE],
      ['page[cursor]=&sort[image]=random', 'page.cursor', CURSOR_WITH_RANDOM_MESSAGE],
      ['page[cursor]=not%20a%20cursor', 'page.cursor', INVALID_CURSOR_MESSAGE],
      [
        'page[size]=5&page[size]=6',
        'page.size',
        'The parameter page[size] was given more than once (or as a list); give it once, with a comma-separated value.',
      ],
    ])('should refuse %j with a 422 at %s', (input, key, message) => {
      expect(queryErrorBody(() => parseQuery(input, IMAGE_QUERY_SCHEMA, 'index'))).toEqual(
        oneError(key, message),
      );
    });

    it('should name every bad parameter, in query order, with the first problem as the message', () => {
      expect(
        queryErrorBody(() =>
          parseQuery(
            'page[size]=0&include=anime,foo&include2=x&filter[facet]=Huge&filter[year]=abc&sort=random,facet&page[number]=1',
            IMAGE_QUERY_SCHEMA,
            'index',
          ),
        ),
      ).toEqual({
        message: "page[size] must be an integer from 1 to 100; got '0'.",
        errors: {
          'page.size': ["page[size] must be an integer from 1 to 100; got '0'."],
          include: ["Unknown include 'foo'. Allowed includes: anime, artists, studios, playlists."],
          include2: [`Unknown parameter 'include2'. ${INDEX_PARAMETERS}`],
          'filter.facet': [
            "'Huge' is not a valid value for filter[facet]. Allowed: Small Cover, Cover, Grill (case-insensitive; also: Large Cover).",
          ],
          'filter.year': [
            "'abc' is not a valid value for filter[year]: give a whole number (such as 2020) within ±9007199254740991.",
          ],
          sort: ["random can't be combined with other keys in sort."],
        },
      });
    });
    // Found by a probe: the cut counted UTF-16 units and split an emoji, leaving a lone surrogate.
    it('should cut quoted client text after 60 characters, never inside one', () => {
      const body = queryErrorBody(() =>
        parseQuery(`filter[year]=a${'😀'.repeat(70)}`, IMAGE_QUERY_SCHEMA, 'index'),
      );
      const message = `'a${'😀'.repeat(59)}…' is not a valid value for filter[year]: give a whole number (such as 2020) within ±9007199254740991.`;
      expect(body).toEqual({ message, errors: { 'filter.year': [message] } });
      expect(JSON.stringify(body)).not.toMatch(/\\ud83d/);
    });
  });

  describe('on show', () => {
    it('should accept include, fields, related filters, trashed and related sorts', () => {
      expect(
        parseQuery(
          'include=anime,playlists&fields[image]=path&fields[anime]=name&filter[anime][year]=2020' +
            '&filter[media_format]=TV&filter[created_at-gte]=2024&filter[trashed]=with&sort[anime]=-year',
          IMAGE_QUERY_SCHEMA,
          'show',
        ),
      ).toEqual({
        include: ['anime', 'playlists'],
        fields: { image: ['path'], anime: ['name'] },
        filters: [
          {
            key: 'filter.anime.year',
            scope: 'anime',
            field: 'year',
            operator: 'eq',
            logic: 'and',
            negated: false,
            values: [2020],
            appliesTo: ['anime'],
          },
          {
            key: 'filter.media_format',
            field: 'media_format',
            operator: 'eq',
            logic: 'and',
            negated: false,
            values: [1],
            appliesTo: ['anime'],
          },
          {
            key: 'filter.created_at-gte',
            field: 'created_at',
            operator: 'gte',
            logic: 'and',
            negated: false,
            values: ['2024-01-01 00:00:00.000000'],
            appliesTo: ['anime', 'artist', 'studio', 'playlist'],
          },
        ],
        trashed: 'with',
        trashedByType: trashedEverywhere('with'),
        sort: { anime: [{ field: 'year', direction: 'DESC' }] },
        page: { size: 15, number: 1 },
      });
    });

    it.each<[string, string, string]>([
      [
        'page[size]=5',
        'page.size',
        'page[size] pages a list of images, so it is not accepted when showing one image.',
      ],
      [
        'page[number]=1',
        'page.number',
        'page[number] pages a list of images, so it is not accepted when showing one image.',
      ],
      [
        'page[foo]=1',
        'page.foo',
        'page[foo] pages a list of images, so it is not accepted when showing one image.',
      ],
      [
        'sort=facet',
        'sort',
        'sort orders a list of images, so it is not accepted when showing one image. Sort included arrays with sort[<type>] (types: anime, artist, studio, playlist).',
      ],
      [
        'sort=random',
        'sort',
        'sort orders a list of images, so it is not accepted when showing one image. Sort included arrays with sort[<type>] (types: anime, artist, studio, playlist).',
      ],
      [
        'sort[image]=facet',
        'sort.image',
        'sort[image] orders a list of images, so it is not accepted when showing one image. Use sort[<type>] with a type among: anime, artist, studio, playlist.',
      ],
      [
        'filter[has]=anime',
        'filter.has',
        'filter[has] selects which images are listed, so it is not accepted when showing one image.',
      ],
      [
        'filter[image][created_at]=2024',
        'filter.image.created_at',
        'filter[image][created_at] filters the listed images, so it is not accepted when showing one image. Types: anime, artist, studio, playlist.',
      ],
      ['foo=1', 'foo', `Unknown parameter 'foo'. ${SHOW_PARAMETERS}`],
    ])('should refuse %j with a 422 at %s', (input, key, message) => {
      expect(queryErrorBody(() => parseQuery(input, IMAGE_QUERY_SCHEMA, 'show'))).toEqual(
        oneError(key, message),
      );
    });

    it.each(['facet', 'path', 'image_id'])(
      'should refuse the image-only filter[%s] with a 422 naming it',
      (field) => {
        const body = queryErrorBody(() =>
          parseQuery(`filter[${field}]=x`, IMAGE_QUERY_SCHEMA, 'show'),
        );
        expect(Object.keys(body.errors ?? {})).toEqual([`filter.${field}`]);
        expect(body.message).toMatch(
          new RegExp(
            `^filter\\[${field}\\] filters the listed images, so it is not accepted when showing one image;`,
          ),
        );
      },
    );
  });

  describe('with another resource schema', () => {
    const note = {
      type: 'note',
      table: 'notes',
      primaryKey: 'note_id',
      softDeletes: false,
      pluralKey: 'notes',
      singularKey: 'note',
      fields: [
        defineField('note_id', 'int', { default: true, filterable: true, sortable: true }),
        defineField('body', 'string', { default: true, filterable: true }),
      ],
      includes: [],
      page: { defaultSize: 10, maxSize: 20 },
      allowRandomSort: false,
    } satisfies RootResourceSchema;

    it('should judge parameters against that schema only', () => {
      expect(
        parseQuery('filter[body-like]=%25x%25&sort=-note_id&page[size]=20', note, 'index'),
      ).toEqual({
        include: [],
        fields: {},
        filters: [
          {
            key: 'filter.body-like',
            field: 'body',
            operator: 'like',
            logic: 'and',
            negated: false,
            values: ['%x%'],
            appliesTo: ['note'],
          },
        ],
        trashed: 'without',
        trashedByType: { note: 'without' },
        sort: { note: [{ field: 'note_id', direction: 'DESC' }] },
        page: { size: 20, number: 1 },
      });
      expect(parseQuery('', note, 'index').page).toEqual({ size: 10, number: 1 });
    });

    it.each<[string, string, string]>([
      ['include=anime', 'include', 'notes have no includes.'],
      [
        'filter[has]=anime',
        'filter.has',
        "Unknown filter 'has' in filter[has]. Allowed filters: note_id, body.",
      ],
      [
        'filter[trashed]=with',
        'filter.trashed',
        "Unknown filter 'trashed' in filter[trashed]. Allowed filters: note_id, body.",
      ],
      ['page[size]=21', 'page.size', "page[size] must be an integer from 1 to 20; got '21'."],
      [
        'sort=random',
        'sort',
        "Unknown sort key 'random' in sort. Allowed: note_id (prefix - for descending).",
      ],
      [
        'filter[year]=1',
        'filter.year',
        "Unknown filter 'year' in filter[year]. Allowed filters: note_id, body.",
      ],
    ])('should refuse %j with a 422 at %s', (input, key, message) => {
      expect(queryErrorBody(() => parseQuery(input, note, 'index'))).toEqual(
        oneError(key, message),
      );
    });
  });
});
