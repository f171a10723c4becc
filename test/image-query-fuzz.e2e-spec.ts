import fc from 'fast-check';
import { describeEachDatabase } from './helpers/test-app';
import { seedReadFixtures } from './helpers/fixtures';

/**
 * Random and hostile query strings against both read routes: whatever arrives, the answer is never a
 * 5xx and its body never carries SQL, driver or stack text.
 */

/** Kept moderate so the suite stays fast; raise FUZZ_RUNS for a deeper local hunt. */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 250);

const KNOWN_KEYS = [
  'include',
  'fields[image]',
  'fields[anime]',
  'fields[artist]',
  'fields[playlist]',
  'fields',
  'filter[facet]',
  'filter[facet-not]',
  'filter[path-like]',
  'filter[path-notlike-or]',
  'filter[image_id]',
  'filter[image_id-not]',
  'filter[image_id-gt-or]',
  'filter[created_at-gte]',
  'filter[deleted_at-ne]',
  'filter[anime][year]',
  'filter[anime][season-ne]',
  'filter[year-ne-or]',
  'filter[media_format]',
  'filter[playlist][hashid-like]',
  'filter[has]',
  'filter[has-or]',
  'filter[trashed]',
  'filter[anime][trashed]',
  'sort',
  'sort[image]',
  'sort[anime]',
  'sort[artist]',
  'page[size]',
  'page[number]',
];

const HOSTILE_KEYS = [
  'filter[[facet]]',
  'filter[facet][x][y]',
  'filter[]',
  'filter',
  'page[]',
  'page',
  '[]',
  '[',
  ']',
  'a[b][c][d][e][f]',
  'fields[image][]',
  'include[]',
  'include[0]',
  'sort[]',
  'sort[image][0]',
  '__proto__',
  'constructor',
  'filter[__proto__]',
  'fields[__proto__]',
  'filter[anime][__proto__]',
  'page[size][0]',
  'filter[image][image_id]',
  'filter[nope][year]',
  'filter[anime][anime][year]',
  '%00',
  'filter%5Bfacet%5D',
  'filter[facet-eq-and-or]',
  'filter[facet--]',
  'filter[-]',
];

const HOSTILE_VALUES = [
  "' OR 1=1 --",
  '1; DROP TABLE images; --',
  '") OR ("1"="1',
  '%',
  '%%',
  '_',
  '\\',
  '\\,',
  ',',
  ',,',
  '',
  '\u0000',
  'a\u0000b',
  'NULL',
  'null',
  '9'.repeat(400),
  '-9'.repeat(30),
  '1e309',
  '-0',
  '0x10',
  '1.0',
  'Infinity',
  'NaN',
  '2024-02-30',
  '2024-13',
  '9999-12-31T23:59:59.999999Z',
  '0000',
  '2024-01-01T24:00',
  'random',
  '-random',
  'anime,anime',
  'anime,,artists',
  '🎌',
  'é',
  '\uD800',
  'Ω≈ç√',
  'image_id,-image_id',
  'Large Cover',
  'small cover',
  '1,2,3',
  '-facet,path',
  'with',
  'only',
  'anime,artists,studios,playlists',
  'SELECT * FROM images',
  'sqlite_master',
  '$1',
  ':q0',
  ':...q0',
  '?',
  '`',
  '"',
  "'",
  '\n',
  '\r\n',
];

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD), optionally leaving brackets raw. */
function encode(text: string, keepBrackets: boolean): string {
  let result = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    result +=
      /[A-Za-z0-9\-_.~,]/.test(char) || (keepBrackets && (char === '[' || char === ']'))
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return result;
}

const keyArbitrary = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const valueArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
  {
    weight: 1,
    arbitrary: fc.array(fc.integer(), { maxLength: 5 }).map((values) => values.join(',')),
  },
);

const pairArbitrary = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(keyArbitrary, valueArbitrary, fc.boolean())
      .map(([key, value, keepBrackets]) => `${encode(key, keepBrackets)}=${encode(value, false)}`),
  },
  // Raw, malformed pieces: invalid percent-escapes, keys without '=', stray separators.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%',
      '%ZZ=1',
      '%E0%A4%A=1',
      'include',
      '=',
      '&',
      '==',
      'a==b',
      '%5B%5D',
    ),
  },
);

const queryArbitrary = fc.array(pairArbitrary, { maxLength: 6 }).map((pairs) => pairs.join('&'));

const idArbitrary = fc.oneof(
  fc.constantFrom(
    '1',
    '11',
    '999',
    '0',
    'abc',
    '-1',
    '1.5',
    '9'.repeat(30),
    '1e3',
    '%00',
    '%27',
    'null',
  ),
  fc.string({ maxLength: 8 }).map((id) => encode(id, false) || 'x'),
);

/**
 * Text only the internals could write (422 messages do echo the client's own text, so SQL words the
 * client sent may come back quoted): driver error codes, TypeORM errors, stack frames, and the
 * identifiers the query builder generates.
 */
const LEAK =
  /SQLITE_|ER_[A-Z]+_|QueryFailedError|TypeORMError|EntityMetadata|node_modules|\n\s+at |\.ts:\d+|"root"\.|`root`\.|has_pivot|has_related|__owner_id|__pivot_|FROM "images"|FROM `images`/;

describeEachDatabase('GET /api/image and /api/image/:id: hostile query strings', (context) => {
  beforeAll(async () => {
    await seedReadFixtures(context().dataSource);
  });

  const check = async (url: string) => {
    const response = await context().http().get(url);
    if (response.status >= 500)
      throw new Error(`${url} answered ${response.status}: ${response.text}`);
    if (LEAK.test(response.text)) throw new Error(`${url} leaked: ${response.text}`);
    if (response.status === 200 && !('images' in response.body) && !('image' in response.body)) {
      throw new Error(`${url} answered 200 without images: ${response.text}`);
    }
  };

  it('should never answer the list with a 5xx or internal text', async () => {
    await fc.assert(
      fc.asyncProperty(queryArbitrary, (query) => check(`/api/image?${query}`)),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);

  it('should never answer show with a 5xx or internal text', async () => {
    await fc.assert(
      fc.asyncProperty(idArbitrary, queryArbitrary, (id, query) =>
        check(`/api/image/${id}?${query}`),
      ),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 120_000);
});
