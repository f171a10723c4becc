import { Controller, Get, Param } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AllExceptionsFilter } from '../common/all-exceptions.filter';
import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { MAX_CURSOR_LENGTH } from './parsers/page.parser';
import { parseQuery } from './parse-query';
import {
  MAX_KEPT_QUERY_LENGTH,
  cursorlessQueryOf,
  ParsedQueryCache,
  parsedQueriesOf,
  ResourceQuery,
  rawQueryOf,
  withoutCursor,
} from './query.decorator';
import type { ParsedQuery } from './query.types';

describe('rawQueryOf', () => {
  it.each<[string, object, unknown]>([
    ['the raw URL', { raw: { url: '/api/image?b=1&a=2' }, url: '/x?c=3', query: {} }, 'b=1&a=2'],
    ['the URL when there is no raw request', { url: '/api/image?include=anime' }, 'include=anime'],
    ['an empty query for a URL without one', { url: '/api/image' }, ''],
    ['everything after the first ?', { url: '/api/image?sort=x?y' }, 'sort=x?y'],
    ['a second ? as part of the first key', { url: '/api/image??page[size]=1' }, '%3Fpage[size]=1'],
    ['the parsed query without a URL', { query: { include: 'anime' } }, { include: 'anime' }],
  ])('should read %s', (_what, request, expected) => {
    expect(rawQueryOf(request)).toEqual(expected);
  });
});

describe('ParsedQueryCache', () => {
  const cacheOf = (capacity?: number) =>
    new ParsedQueryCache(IMAGE_QUERY_SCHEMA, 'index', capacity);

  it('should hand out the parse of a string seen before as the same, deeply frozen object', () => {
    const cache = cacheOf();
    const first = cache.parse('include=anime&filter[facet]=Cover&page[size]=5');
    expect(first).toEqual(
      parseQuery('include=anime&filter[facet]=Cover&page[size]=5', IMAGE_QUERY_SCHEMA, 'index'),
    );
    expect(cache.parse('include=anime&filter[facet]=Cover&page[size]=5')).toBe(first);
    expect(cache.size).toBe(1);
    expect([
      Object.isFrozen(first),
      Object.isFrozen(first.page),
      Object.isFrozen(first.filters),
      Object.isFrozen(first.filters[0]),
      Object.isFrozen(first.filters[0].values),
      Object.isFrozen(first.include),
    ]).toEqual([true, true, true, true, true, true]);
    expect(() => {
      (first.page as { size: number }).size = 100;
    }).toThrow(TypeError);
  });

  it('should parse strings that differ in any character apart, and a parsed object as it is', () => {
    const cache = cacheOf();
    expect(cache.parse('page[number]=2').page.number).toBe(2);
    expect(cache.parse('page[number]=3').page.number).toBe(3);
    expect(cache.parse({ page: { number: '4' } }).page.number).toBe(4);
    expect(cache.size).toBe(2);
  });

  it('should judge a bad query every time and keep nothing of it', () => {
    const cache = cacheOf();
    expect(() => cache.parse('page[size]=0')).toThrow();
    expect(() => cache.parse('page[size]=0')).toThrow();
    expect(cache.size).toBe(0);
  });

  it('should keep a keyset page without its cursor, and hand each request its own cursor', () => {
    const cache = cacheOf();
    const raw = (cursor: string) => `sort=-path&page[cursor]=${cursor}&page[size]=5`;
    const first = cache.parse(raw('abc.DEF_-1'));
    expect(first).toEqual(parseQuery(raw('abc.DEF_-1'), IMAGE_QUERY_SCHEMA, 'index'));
    const second = cache.parse(raw('xyz.2'));
    expect(second.page).toEqual({ size: 5, number: 1, cursor: 'xyz.2' });
    expect(first.page.cursor).toBe('abc.DEF_-1');
    expect(second.sort).toBe(first.sort);
    expect(cache.size).toBe(1);
    // The first keyset page is the kept entry itself.
    expect(cache.parse(raw(''))).toBe(cache.parse(raw('')));
    expect(cache.parse(raw('')).page.cursor).toBe('');
    expect(cache.size).toBe(1);
  });

  it('should name the kept query as the cursorless query of every page of a keyset walk', () => {
    const cache = cacheOf();
    const raw = (cursor: string) => `filter[facet]=Cover&page[cursor]=${cursor}`;
    const walk = cache.parse(raw(''));
    const pages = [cache.parse(raw('abc.1')), cache.parse(raw('def.2'))];
    for (const page of pages) {
      expect(page).not.toBe(walk);
      expect(cursorlessQueryOf(page)).toBe(walk);
      expect({ ...page, page: { ...page.page, cursor: '' } }).toEqual(walk);
    }
    expect(cursorlessQueryOf(walk)).toBe(walk);
    // Not from a cache, or a cursor the cache parsed whole: the query itself.
    const parsed = parseQuery(raw('abc.1'), IMAGE_QUERY_SCHEMA, 'index');
    expect(cursorlessQueryOf(parsed)).toBe(parsed);
    const whole = cache.parse('page[cursor]=a%2Eb');
    expect(cursorlessQueryOf(whole)).toBe(whole);
  });

  it('should judge a cursor it does not take apart as the parser does', () => {
    const cache = cacheOf();
    for (const raw of [
      'page[cursor]=a%2Eb', // percent-encoded: parsed whole
      `page[cursor]=${'a'.repeat(MAX_CURSOR_LENGTH + 1)}`, // too long: 422
      'page[cursor]=a&page[cursor]=b', // twice: 422
      'page[cursor]=a&page[number]=2', // with a page number: 422
    ]) {
      let expected: unknown;
      try {
        expected = parseQuery(raw, IMAGE_QUERY_SCHEMA, 'index');
      } catch (error) {
        expected = error;
      }
      if (expected instanceof Error) {
        expect(() => cache.parse(raw)).toThrow(expected);
      } else {
        expect(cache.parse(raw)).toEqual(expected);
      }
    }
    expect(cache.size).toBe(0);
  });
});

describe('withoutCursor', () => {
  it.each<[string, { rest: string; cursor: string } | undefined]>([
    ['page[cursor]=abc.d', { rest: 'page[cursor]=', cursor: 'abc.d' }],
    ['a=1&page%5Bcursor%5D=x_y-z&b=2', { rest: 'a=1&page%5Bcursor%5D=&b=2', cursor: 'x_y-z' }],
    ['page%5bcursor%5d=q', { rest: 'page%5bcursor%5d=', cursor: 'q' }],
    ['page[cursor]=', undefined],
    ['page[cursor]=a%2Eb', undefined],
    ['page[cursor]=a+b', undefined],
    ['page[cursor]=a&page[cursor]=b', undefined],
    ['page[size]=5', undefined],
    ['page[cursor]', undefined],
  ])('%s', (raw, expected) => {
    expect(withoutCursor(raw)).toEqual(expected);
  });
});

describe('ParsedQueryCache capacity', () => {
  const cacheOf = (capacity?: number) =>
    new ParsedQueryCache(IMAGE_QUERY_SCHEMA, 'index', capacity);

  it('should keep at most its capacity, dropping the oldest entry first', () => {
    const cache = cacheOf(2);
    const one = cache.parse('page[number]=1');
    const two = cache.parse('page[number]=2');
    cache.parse('page[number]=3');
    expect(cache.size).toBe(2);
    expect(cache.parse('page[number]=2')).toBe(two);
    expect(cache.parse('page[number]=1')).not.toBe(one);
  });

  // Found by a probe: 1,000 kept 8 KB strings per route ran a 256 MB heap out.
  it(`should not keep a string over ${MAX_KEPT_QUERY_LENGTH} characters, and parse it the same`, () => {
    const cache = cacheOf();
    const atLimit = `filter[path]=${'a'.repeat(MAX_KEPT_QUERY_LENGTH - 'filter[path]='.length)}`;
    const overLimit = `${atLimit}b`;
    expect(cache.parse(atLimit)).toBe(cache.parse(atLimit));
    expect(cache.size).toBe(1);
    const parsed = cache.parse(overLimit);
    expect(cache.size).toBe(1);
    expect(cache.parse(overLimit)).not.toBe(parsed);
    expect(cache.parse(overLimit)).toEqual(parseQuery(overLimit, IMAGE_QUERY_SCHEMA, 'index'));
  });
});

describe('parsedQueriesOf', () => {
  it("should hand every caller a schema and mode's one cache, another for another mode", () => {
    const list = parsedQueriesOf(IMAGE_QUERY_SCHEMA, 'index');
    expect(parsedQueriesOf(IMAGE_QUERY_SCHEMA, 'index')).toBe(list);
    expect(parsedQueriesOf(IMAGE_QUERY_SCHEMA, 'show')).not.toBe(list);
    const parsed = list.parse('page[size]=7');
    expect(parsedQueriesOf(IMAGE_QUERY_SCHEMA, 'index').parse('page[size]=7')).toBe(parsed);
    expect(parsedQueriesOf(IMAGE_QUERY_SCHEMA, 'show').parse('fields[image]=path')).toEqual(
      parseQuery('fields[image]=path', IMAGE_QUERY_SCHEMA, 'show'),
    );
  });
});

@Controller('image')
class ProbeController {
  @Get()
  list(@ResourceQuery(IMAGE_QUERY_SCHEMA) query: ParsedQuery): ParsedQuery {
    return query;
  }

  @Get(':id')
  show(
    @ResourceQuery(IMAGE_QUERY_SCHEMA, 'show') query: ParsedQuery,
    @Param('id') id: string,
  ): { id: string; query: ParsedQuery } {
    return { id, query };
  }
}

describe('@ResourceQuery on a Fastify application', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ProbeController] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    app.useGlobalFilters(new AllExceptionsFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('should hand the handler the parsed query, in the order the client wrote it', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/image?filter%5Bfacet-or%5D=Grill&filter[path-like]=%25a%2Bb%25&include=anime&page[size]=5',
    });
    expect(response.statusCode).toBe(200);
    expect(
      response.json<ParsedQuery>().filters.map((filter) => [filter.key, filter.values]),
    ).toEqual([
      ['filter.facet-or', [2]],
      ['filter.path-like', ['%a+b%']],
    ]);
    expect(response.json<ParsedQuery>().page).toEqual({ size: 5, number: 1 });
  });

  it('should answer a bad query with the 422 body of the contract', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/image?page[size]=0&page[size]=1&foo=1',
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      message:
        'The parameter page[size] was given more than once (or as a list); give it once, with a comma-separated value.',
      errors: {
        'page.size': [
          'The parameter page[size] was given more than once (or as a list); give it once, with a comma-separated value.',
        ],
      },
    });
  });

  it('should apply the show rules on the show route', async () => {
    const ok = await app.inject({ method: 'GET', url: '/image/7?filter[year]=2020' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ id: string }>().id).toBe('7');
    const refused = await app.inject({ method: 'GET', url: '/image/7?page[number]=2' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toEqual({
      message: 'page[number] pages a list of images, so it is not accepted when showing one image.',
      errors: {
        'page.number': [
          'page[number] pages a list of images, so it is not accepted when showing one image.',
        ],
      },
    });
  });
});
