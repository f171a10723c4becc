import { ImageClientError } from './errors';
import { pageQueryOfLink, toWireQuery } from './query-serializer';

describe('toWireQuery', () => {
  it('should send a raw query string as it is', () => {
    expect(toWireQuery('?include=anime&page[size]=2')).toBe('?include=anime&page[size]=2');
  });

  it('should join lists with commas, keep the key order and leave undefined entries out', () => {
    expect(
      toWireQuery({
        include: ['anime', 'artists'],
        fields: { image: ['image_id', 'path'], anime: 'name' },
        filter: { 'facet-not': ['Grill', 'Small Cover'], year: 2000, facet: undefined },
        sort: ['-created_at', 'facet'],
        page: { size: 5, number: 2 },
      }),
    ).toEqual({
      include: 'anime,artists',
      fields: { image: 'image_id,path', anime: 'name' },
      filter: { 'facet-not': 'Grill,Small Cover', year: 2000 },
      sort: '-created_at,facet',
      page: { size: 5, number: 2 },
    });
  });

  it('should escape the commas of list entries so each stays one value', () => {
    expect(toWireQuery({ filter: { name: ['Hello, World', 'Plain'] } })).toEqual({
      filter: { name: 'Hello\\, World,Plain' },
    });
  });

  // Found by a probe: a single filter string went as written, and the API read its commas as a
  // list (IN), or refused them with a comparison operator.
  it('should escape the commas of a single filter value, and leave other strings as written', () => {
    expect(
      toWireQuery({
        include: 'anime,artists',
        filter: { path: 'x,y', 'path-like': '%a,b%', image: { 'path-not': 'p,q\\' } },
        sort: '-facet,path',
        // A link query (listLinks) is a plain object, names as comma lists.
      } as never),
    ).toEqual({
      include: 'anime,artists',
      filter: { path: 'x\\,y', 'path-like': '%a\\,b%', image: { 'path-not': 'p\\,q\\' } },
      sort: '-facet,path',
    });
  });

  // Found by a probe: `['x\\', 'a']` went as `x\\,a`, which the API reads as the one value `x,a`
  // (a backslash before a comma escapes it, and nothing escapes a backslash).
  it('should refuse a list entry ending in a backslash unless it is the last', () => {
    let error: unknown;
    try {
      toWireQuery({ filter: { path: ['x\\', 'a'] } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toEqual(
      new ImageClientError(
        400,
        'The query cannot be sent: the entry "x\\\\" of filter[path] ends in a backslash, which the API would read as escaping the comma after it (only the last entry may end in one).',
      ),
    );
    expect(error).toBeInstanceOf(ImageClientError);
    expect((error as ImageClientError).status).toBe(400);
    expect(() => toWireQuery({ filter: { image: { 'path-not': ['a', 'b\\\\', 'c'] } } })).toThrow(
      'the entry "b\\\\\\\\" of filter[image][path-not] ends in a backslash',
    );
    // A backslash elsewhere, and at the end of the last entry, is read as written.
    expect(toWireQuery({ filter: { path: ['a\\b', 'a\\,b', 'x\\'] } })).toEqual({
      filter: { path: 'a\\b,a\\\\,b,x\\' },
    });
  });

  it('should send a Date as its ISO text in UTC', () => {
    const at = new Date(Date.UTC(2024, 0, 15, 12, 0, 0, 500));
    expect(
      toWireQuery({ filter: { 'created_at-gte': at, image: { 'updated_at-not': [at] } } }),
    ).toEqual({
      filter: {
        'created_at-gte': '2024-01-15T12:00:00.500Z',
        image: { 'updated_at-not': '2024-01-15T12:00:00.500Z' },
      },
    });
  });
});

describe('pageQueryOfLink', () => {
  it('should take the query of a pagination link', () => {
    expect(pageQueryOfLink('http://localhost:3000/api/image?page[size]=2&page[cursor]=abc')).toBe(
      '?page[size]=2&page[cursor]=abc',
    );
  });
});
