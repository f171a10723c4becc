import { pageUrlBuilder, paginate } from './pagination';

const baseUrl = 'http://api.test/api/image';

describe('pagination links and meta', () => {
  it.each([
    ['', 'http://api.test/api/image?page[number]=2'],
    ['page%5Bsize%5D=5', 'http://api.test/api/image?page%5Bsize%5D=5&page[number]=2'],
    [
      'filter[path-like]=%25a%25&page[number]=7&sort=-facet',
      'http://api.test/api/image?filter[path-like]=%25a%25&page[number]=2&sort=-facet',
    ],
    [
      'page%5bnumber%5d=3&include=anime,artists',
      'http://api.test/api/image?page[number]=2&include=anime,artists',
    ],
    [
      'a=1&&fields%5Bimage%5D=path',
      'http://api.test/api/image?a=1&fields%5Bimage%5D=path&page[number]=2',
    ],
    ['flag', 'http://api.test/api/image?flag&page[number]=2'],
  ])('should keep %j around page[number] in its order', (rawQuery, expected) => {
    expect(pageUrlBuilder({ baseUrl, rawQuery })(2)).toBe(expected);
  });

  it('should leave a key that does not decode as it was', () => {
    expect(pageUrlBuilder({ baseUrl, rawQuery: 'bad%E0%A4%A=1' })(1)).toBe(
      'http://api.test/api/image?bad%E0%A4%A=1&page[number]=1',
    );
  });

  it('should answer links and meta of a middle page', () => {
    expect(
      paginate({ baseUrl, rawQuery: 'page[size]=2' }, { size: 2, number: 2 }, 2, true),
    ).toEqual({
      links: {
        first: 'http://api.test/api/image?page[size]=2&page[number]=1',
        last: null,
        prev: 'http://api.test/api/image?page[size]=2&page[number]=1',
        next: 'http://api.test/api/image?page[size]=2&page[number]=3',
      },
      meta: { current_page: 2, from: 3, path: baseUrl, per_page: 2, to: 4 },
    });
  });

  it('should answer null prev on the first page, null next on the last, null from/to when empty', () => {
    expect(paginate({ baseUrl, rawQuery: '' }, { size: 15, number: 1 }, 3, false)).toEqual({
      links: { first: `${baseUrl}?page[number]=1`, last: null, prev: null, next: null },
      meta: { current_page: 1, from: 1, path: baseUrl, per_page: 15, to: 3 },
    });
    expect(paginate({ baseUrl, rawQuery: '' }, { size: 15, number: 9 }, 0, false)).toEqual({
      links: {
        first: `${baseUrl}?page[number]=1`,
        last: null,
        prev: `${baseUrl}?page[number]=8`,
        next: null,
      },
      meta: { current_page: 9, from: null, path: baseUrl, per_page: 15, to: null },
    });
  });
});
