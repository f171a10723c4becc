import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValidationFailedError } from '../common/api-error';
import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { parseQuery } from './parse-query';
import type { ParsedQuery, QueryMode } from './query.types';

/**
 * Whatever arrives, parseQuery returns a ParsedQuery or throws the contract's 422, never anything
 * else: no TypeError, no RangeError, no stack overflow, no prototype pollution.
 */
const RUNS = 2000;
const MODES: QueryMode[] = ['index', 'show'];

type Outcome = { kind: 'parsed'; query: ParsedQuery } | { kind: 'refused'; body: unknown };

// Plain assertions in the hot path: jest's expect costs a millisecond a call, fast-check runs thousands.
function outcomeOf(input: unknown, mode: QueryMode): Outcome {
  try {
    return { kind: 'parsed', query: parseQuery(input, IMAGE_QUERY_SCHEMA, mode) };
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    assert.equal(error.getStatus(), 422);
    return { kind: 'refused', body: error.getResponse() };
  }
}

function assertContractBody(body: unknown): void {
  const { message, errors, ...rest } = body as { message: unknown; errors: unknown };
  assert.deepEqual(Object.keys(rest), []);
  assert.equal(typeof message, 'string');
  assert.ok(typeof errors === 'object' && errors !== null && !Array.isArray(errors));
  const entries = Object.entries(errors as Record<string, unknown>);
  assert.ok(entries.length > 0);
  for (const [, messages] of entries) {
    assert.ok(Array.isArray(messages) && messages.length > 0);
    for (const text of messages as unknown[]) assert.equal(typeof text, 'string');
  }
  assert.equal(message, (entries[0][1] as string[])[0]);
  // Bounded: client text is echoed cut short, never in bulk.
  assert.ok(JSON.stringify(body).length < 40_000);
}

const INCLUDE_NAMES = IMAGE_QUERY_SCHEMA.includes.map((include) => include.name);

function assertSaneQuery(query: ParsedQuery, mode: QueryMode): void {
  assert.ok(query.page.size >= 1 && query.page.size <= 100);
  assert.ok(Number.isSafeInteger(query.page.number) && query.page.number >= 1);
  for (const name of query.include) assert.ok(INCLUDE_NAMES.includes(name));
  for (const condition of query.filters) {
    assert.ok((condition.appliesTo?.length ?? 0) > 0);
    if (mode === 'show') assert.ok(!condition.appliesTo?.includes('image'));
    for (const value of condition.values) assert.ok(['string', 'number'].includes(typeof value));
  }
  if (mode === 'show') {
    assert.equal(query.sort.image, undefined);
    assert.equal(query.has, undefined);
  }
}

function expectParsedOrRefused(input: unknown): void {
  for (const mode of MODES) {
    const outcome = outcomeOf(input, mode);
    if (outcome.kind === 'parsed') assertSaneQuery(outcome.query, mode);
    else assertContractBody(outcome.body);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

const KEYS = [
  'include',
  'fields',
  'fields[image]',
  'fields[anime]',
  'fields[]',
  'fields[image][x]',
  'filter',
  'filter[facet]',
  'filter[facet-not]',
  'filter[facet-ne-or]',
  'filter[path-like]',
  'filter[image_id-gte]',
  'filter[created_at-lt]',
  'filter[year]',
  'filter[anime][year]',
  'filter[anime][season-not-or]',
  'filter[image][facet]',
  'filter[trashed]',
  'filter[anime][trashed]',
  'filter[has]',
  'filter[has-or]',
  'filter[[facet]]',
  'filter[facet',
  'sort',
  'sort[image]',
  'sort[anime]',
  'sort[playlist][x]',
  'page',
  'page[size]',
  'page[number]',
  '__proto__',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'filter[__proto__]',
  '',
  '%00',
  'include%00',
];

const VALUES = [
  'anime',
  'anime,artists,studios,playlists',
  'image_id,link',
  'Cover',
  'large cover',
  'Grill,Cover',
  '%25cover%25',
  'a\\,b',
  '1',
  '-1',
  '1.5',
  '1e3',
  '9007199254740993',
  '2024',
  '2024-02-29T12:00:00.123456Z',
  '2024-02-30',
  'with',
  'ONLY',
  'random',
  '-facet,path',
  'facet,-facet',
  "' OR 1=1 --",
  '1; DROP TABLE images',
  '`x`',
  '%00',
  '%ED%A0%80',
  '%F0%9F%98%80',
  ',',
  '',
  '\\',
  'x'.repeat(3000),
];

const encodedText = fc
  .array(
    fc.oneof(
      fc.constantFrom('[', ']', '=', '&', ',', '-', '%', '+', '\\', '%5B', '%5D', '%26', '%3D'),
      fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** `key=value&...` from known, mutated and random keys and values. */
const hostileQueryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...KEYS), encodedText),
      fc.oneof(fc.constantFrom(...VALUES), encodedText),
      fc.boolean(),
    ),
    { maxLength: 12 },
  )
  .map((pairs) =>
    pairs.map(([key, value, withEquals]) => (withEquals ? `${key}=${value}` : key)).join('&'),
  );

const hostileObject = fc.oneof(
  fc.anything({
    maxDepth: 4,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  }),
  fc.dictionary(
    fc.oneof(fc.constantFrom(...KEYS, 'filter', 'page', 'sort', 'fields'), fc.string()),
    fc.oneof(
      fc.constantFrom(...VALUES),
      fc.dictionary(
        fc.oneof(fc.constantFrom('facet', 'anime', 'size', 'year'), fc.string()),
        fc.anything({ maxDepth: 3 }),
      ),
      fc.anything({ maxDepth: 2 }),
    ),
    { maxKeys: 10 },
  ),
);

describe('parseQuery under random and hostile input (property)', () => {
  it('should parse or refuse with a 422 any random string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), expectParsedOrRefused), {
      numRuns: RUNS,
    });
  });

  it('should parse or refuse with a 422 any query string built from real and mutated parameters', () => {
    fc.assert(fc.property(hostileQueryString, expectParsedOrRefused), { numRuns: RUNS });
  });

  it('should parse or refuse with a 422 any object, array or value a transport could send', () => {
    fc.assert(fc.property(hostileObject, expectParsedOrRefused), { numRuns: RUNS });
  });

  it('should parse or refuse with a 422 absurdly large input', () => {
    const huge = 'filter[path]='.padEnd(1_000_000, 'x');
    expectParsedOrRefused(huge);
    expectParsedOrRefused(
      Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 'v'])),
    );
    const deep: Record<string, unknown> = {};
    let level = deep;
    for (let depth = 0; depth < 10_000; depth += 1)
      level = level.filter = {} as Record<string, unknown>;
    expectParsedOrRefused(deep);
    expectParsedOrRefused('&'.repeat(8000));
    expectParsedOrRefused(`include=${'anime,'.repeat(1500)}anime`);
  });
});

describe('parseQuery on valid queries (property)', () => {
  const includeNames = IMAGE_QUERY_SCHEMA.includes.map((include) => include.name);
  const sortKeys = IMAGE_QUERY_SCHEMA.fields.filter((field) => field.sortable).map((f) => f.name);

  const validQuery = fc.record({
    include: fc.subarray(includeNames, { minLength: 1 }),
    sort: fc
      .subarray(sortKeys, { minLength: 1 })
      .chain((keys) =>
        fc.tuple(
          ...keys.map((key) => fc.boolean().map((descending) => (descending ? `-${key}` : key))),
        ),
      ),
    size: fc.integer({ min: 1, max: 100 }),
    number: fc.integer({ min: 1, max: 1_000_000 }),
    year: fc.integer({ min: -100_000, max: 100_000 }),
    facets: fc.subarray(['Small Cover', 'Cover', 'Grill'], { minLength: 1 }),
  });

  it('should accept every well-formed query, the same as a string and as a nested object', () => {
    fc.assert(
      fc.property(validQuery, ({ include, sort, size, number, year, facets }) => {
        const fromString = parseQuery(
          new URLSearchParams([
            ['include', include.join(',')],
            ['filter[facet-not]', facets.join(',')],
            ['filter[anime][year-lte]', String(year)],
            ['sort', sort.join(',')],
            ['page[size]', String(size)],
            ['page[number]', String(number)],
          ]).toString(),
          IMAGE_QUERY_SCHEMA,
          'index',
        );
        const fromObject = parseQuery(
          {
            include: include.join(','),
            filter: { 'facet-not': facets.join(','), anime: { 'year-lte': year } },
            sort: sort.join(','),
            page: { size, number },
          },
          IMAGE_QUERY_SCHEMA,
          'index',
        );
        expect(fromObject).toEqual(fromString);
        expect(fromString.include).toEqual(include);
        expect(fromString.page).toEqual({ size, number });
        expect(fromString.sort.image).toEqual(
          sort.map((entry) =>
            entry.startsWith('-')
              ? { field: entry.slice(1), direction: 'DESC' }
              : { field: entry, direction: 'ASC' },
          ),
        );
        expect(fromString.filters.map((filter) => filter.values)).toEqual([
          facets.map((facet) => ['Small Cover', 'Cover', 'Grill'].indexOf(facet)),
          [year],
        ]);
      }),
      { numRuns: 500 },
    );
  });
});
