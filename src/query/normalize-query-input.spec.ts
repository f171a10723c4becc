import { parse as fastifyQueryParse } from 'fast-querystring';
import { normalizeQueryInput, QUERY_INPUT_LIMITS } from './normalize-query-input';
import { oneError, queryErrorBody } from './testing/query-error-body';

const GIVEN_TWICE = (key: string) =>
  `The parameter ${key} was given more than once (or as a list); give it once, with a comma-separated value.`;

describe('normalizeQueryInput', () => {
  describe('raw query strings', () => {
    it.each<[string, [string, string][]]>([
      ['', []],
      ['?', []],
      [
        'filter[facet]=Cover&page[size]=5',
        [
          ['filter[facet]', 'Cover'],
          ['page[size]', '5'],
        ],
      ],
      ['?include=anime', [['include', 'anime']]],
      ['filter%5Bfacet%5D=Small%20Cover', [['filter[facet]', 'Small Cover']]],
      ['filter[facet]=Small+Cover', [['filter[facet]', 'Small Cover']]],
      ['filter[path-like]=%25a%2Bb%25', [['filter[path-like]', '%a+b%']]],
      ['filter[path]=%zz%', [['filter[path]', '%zz%']]],
      ['filter[path]=%ED%A0%80', [['filter[path]', '\uFFFD\uFFFD\uFFFD']]],
      ['filter[name]=%E3%82%A2%F0%9F%98%80', [['filter[name]', 'ア😀']]],
      ['include', [['include', '']]],
      [
        'include=&sort=',
        [
          ['include', ''],
          ['sort', ''],
        ],
      ],
      [
        'a=1&&b=2&',
        [
          ['a', '1'],
          ['b', '2'],
        ],
      ],
      ['filter[path]=a=b', [['filter[path]', 'a=b']]],
      [
        'sort=-facet&include=anime&filter[b]=1&filter[a]=2&2=x',
        [
          ['sort', '-facet'],
          ['include', 'anime'],
          ['filter[b]', '1'],
          ['filter[a]', '2'],
          ['2', 'x'],
        ],
      ],
    ])('should read %j as %j', (input, expected) => {
      expect(normalizeQueryInput(input)).toEqual(expected);
    });

    it('should read URLSearchParams like a query string', () => {
      expect(
        normalizeQueryInput(new URLSearchParams({ 'page[size]': '5', include: 'anime' })),
      ).toEqual([
        ['page[size]', '5'],
        ['include', 'anime'],
      ]);
    });

    it.each<[string, string, string]>([
      ['include=anime&include=artists', 'include', GIVEN_TWICE('include')],
      ['filter[facet]=Cover&filter%5Bfacet%5D=Grill', 'filter.facet', GIVEN_TWICE('filter[facet]')],
      ['=x', 'query', 'The query has a parameter without a name.'],
      [
        'filter[path]=a%00b',
        'filter.path',
        'The value of filter[path] contains a control character (such as NUL) or invalid unicode.',
      ],
      [
        'filter[path]=a%0Ab',
        'filter.path',
        'The value of filter[path] contains a control character (such as NUL) or invalid unicode.',
      ],
      [
        'a%00=b',
        'query',
        'A parameter name contains a control character (such as NUL) or invalid unicode.',
      ],
      ['__proto__=x', 'query', "The parameter name '__proto__' is not allowed."],
      [
        '__proto__[polluted]=x',
        'query',
        "The parameter name '__proto__[polluted]' is not allowed.",
      ],
      [
        'filter[constructor]=x',
        'query',
        "The parameter name 'filter[constructor]' is not allowed.",
      ],
      [
        'filter[prototype][x]=1',
        'query',
        "The parameter name 'filter[prototype][x]' is not allowed.",
      ],
      [
        `filter[${'a'.repeat(100)}]=1`,
        'query',
        `The parameter name 'filter[${'a'.repeat(53)}…' is longer than 100 characters.`,
      ],
      [
        `filter[path]=${'a'.repeat(2049)}`,
        'filter.path',
        'The value of filter[path] is longer than 2048 characters.',
      ],
      [
        Array.from({ length: 51 }, (_, index) => `p${index}=1`).join('&'),
        'query',
        'The query has more than 50 parameters.',
      ],
      [
        `filter[path]=${'a'.repeat(8200)}`,
        'query',
        'The query string is longer than 8192 characters.',
      ],
    ])('should refuse %j with a 422 at %s', (input, key, message) => {
      expect(queryErrorBody(() => normalizeQueryInput(input))).toEqual(oneError(key, message));
    });

    it('should accept a value of exactly the maximum length and exactly the maximum of parameters', () => {
      const value = 'a'.repeat(QUERY_INPUT_LIMITS.maxValueLength);
      expect(normalizeQueryInput(`filter[path]=${value}`)).toEqual([['filter[path]', value]]);
      const fifty = Array.from({ length: 50 }, (_, index) => `p${index}=1`).join('&');
      expect(normalizeQueryInput(fifty)).toHaveLength(50);
    });

    it('should name every problem of one query', () => {
      expect(queryErrorBody(() => normalizeQueryInput('include=a&include=b&sort=%00&=1'))).toEqual({
        message: GIVEN_TWICE('include'),
        errors: {
          include: [GIVEN_TWICE('include')],
          sort: [
            'The value of sort contains a control character (such as NUL) or invalid unicode.',
          ],
          query: ['The query has a parameter without a name.'],
        },
      });
    });
  });

  describe("Fastify's parsed query object", () => {
    it('should read flat bracketed keys in order from a prototype-less object', () => {
      const query = fastifyQueryParse('filter[facet]=Small+Cover&page%5Bsize%5D=5&include=anime');
      expect(normalizeQueryInput(query)).toEqual([
        ['filter[facet]', 'Small Cover'],
        ['page[size]', '5'],
        ['include', 'anime'],
      ]);
    });

    it('should refuse a repeated key, which arrives as an array', () => {
      const query = fastifyQueryParse('filter[facet]=Cover&filter[facet]=Grill');
      expect(queryErrorBody(() => normalizeQueryInput(query))).toEqual(
        oneError('filter.facet', GIVEN_TWICE('filter[facet]')),
      );
    });
  });

  describe('nested objects from a message transport', () => {
    it('should flatten nested objects into bracketed keys and stringify scalars', () => {
      expect(
        normalizeQueryInput({
          filter: {
            facet: 'Cover',
            anime: { year: 2020, 'season-not': 'Fall' },
            trashed: undefined,
          },
          page: { size: 5, number: 2n },
          include: 'anime',
          'fields[image]': 'path',
          sort: '-facet',
          'filter[flag]': true,
        }),
      ).toEqual([
        ['filter[facet]', 'Cover'],
        ['filter[anime][year]', '2020'],
        ['filter[anime][season-not]', 'Fall'],
        ['page[size]', '5'],
        ['page[number]', '2'],
        ['include', 'anime'],
        ['fields[image]', 'path'],
        ['sort', '-facet'],
        ['filter[flag]', 'true'],
      ]);
    });

    it('should read an object without a prototype and an empty object', () => {
      const query = Object.assign(Object.create(null) as object, { include: 'anime' });
      expect(normalizeQueryInput(query)).toEqual([['include', 'anime']]);
      expect(normalizeQueryInput({})).toEqual([]);
      expect(normalizeQueryInput({ filter: {} })).toEqual([]);
    });

    it.each<[string, unknown, string, string]>([
      ['a list', { include: ['anime', 'artists'] }, 'include', GIVEN_TWICE('include')],
      [
        'a nested list',
        { filter: { facet: ['Cover'] } },
        'filter.facet',
        GIVEN_TWICE('filter[facet]'),
      ],
      ['a list of lists', { filter: [[1]] }, 'filter', GIVEN_TWICE('filter')],
      [
        'a flat key given nested too',
        { 'filter[facet]': 'Cover', filter: { facet: 'Grill' } },
        'filter.facet',
        GIVEN_TWICE('filter[facet]'),
      ],
      ['null', { include: null }, 'include', 'The parameter include has no value (null).'],
      [
        'NaN',
        { page: { size: Number.NaN } },
        'page.size',
        'The value of page[size] is not a finite number.',
      ],
      [
        'Infinity',
        { page: { size: Infinity } },
        'page.size',
        'The value of page[size] is not a finite number.',
      ],
      [
        'a function',
        { include: () => 'anime' },
        'include',
        'The value of include must be a string.',
      ],
      [
        'a symbol',
        { include: Symbol('anime') },
        'include',
        'The value of include must be a string.',
      ],
      [
        'a Date',
        { filter: { created_at: new Date(0) } },
        'filter.created_at',
        'The value of filter[created_at] must be a string.',
      ],
      [
        'a Buffer',
        { include: Buffer.from('anime') },
        'include',
        'The value of include must be a string.',
      ],
      ['a Map', { include: new Map() }, 'include', 'The value of include must be a string.'],
      [
        'too deep an object',
        { filter: { anime: { year: { gte: 1 } } } },
        'filter.anime.year',
        'The parameter filter[anime][year] is nested too deeply.',
      ],
      [
        'a bracket in a nested name',
        { filter: { 'facet][x': 'Cover' } },
        'filter',
        "The nested parameter name 'facet][x' under filter must not contain brackets.",
      ],
      [
        '__proto__ from JSON',
        JSON.parse('{"__proto__": {"polluted": "1"}}'),
        'query',
        "The parameter name '__proto__' is not allowed.",
      ],
      [
        'a nested constructor',
        { filter: { constructor: 'x' } },
        'query',
        "The parameter name 'constructor' is not allowed.",
      ],
      [
        'a nested prototype',
        { filter: { prototype: { x: 1 } } },
        'query',
        "The parameter name 'prototype' is not allowed.",
      ],
      [
        'a lone surrogate',
        { filter: { name: 'a\uD800' } },
        'filter.name',
        'The value of filter[name] contains a control character (such as NUL) or invalid unicode.',
      ],
      [
        'a NUL byte',
        { filter: { name: 'a\u0000' } },
        'filter.name',
        'The value of filter[name] contains a control character (such as NUL) or invalid unicode.',
      ],
      [
        'a NUL byte in a key',
        { 'include\u0000': 'anime' },
        'query',
        'A parameter name contains a control character (such as NUL) or invalid unicode.',
      ],
      ['an empty key', { '': 'anime' }, 'query', 'The query has a parameter without a name.'],
      [
        'a long nested key',
        { filter: { [`${'x'.repeat(95)}`]: '1' } },
        'query',
        `The parameter name 'filter[${'x'.repeat(53)}…' is longer than 100 characters.`,
      ],
      [
        'too many parameters',
        Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`p${index}`, '1'])),
        'query',
        'The query has more than 50 parameters.',
      ],
    ])('should refuse %s with a 422 at %s', (_what, input, key, message) => {
      expect(queryErrorBody(() => normalizeQueryInput(input))).toEqual(oneError(key, message));
    });

    it('should never let a __proto__ key reach a prototype', () => {
      const input = JSON.parse('{"filter": {"__proto__": {"polluted": "1"}}}') as unknown;
      expect(() => normalizeQueryInput(input)).toThrow();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it.each<[string, unknown]>([
      [
        'a throwing getter',
        Object.defineProperty({}, 'include', {
          enumerable: true,
          get: () => {
            throw new Error('boom');
          },
        }),
      ],
      [
        'a throwing proxy',
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error('boom');
            },
          },
        ),
      ],
    ])('should refuse %s with a 422, not the error it throws', (_what, input) => {
      expect(queryErrorBody(() => normalizeQueryInput(input))).toEqual(
        oneError('query', 'The query could not be read.'),
      );
    });
  });

  it.each<[string, unknown]>([
    ['an array', ['include=anime']],
    ['a number', 42],
    ['a boolean', true],
    ['a Date', new Date(0)],
    ['a Map', new Map([['include', 'anime']])],
    ['a function', () => 'include=anime'],
  ])('should refuse %s as the whole query', (_what, input) => {
    expect(queryErrorBody(() => normalizeQueryInput(input))).toEqual(
      oneError('query', 'The query must be a query string or an object of parameters.'),
    );
  });
});
