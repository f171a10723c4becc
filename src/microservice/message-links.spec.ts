import { parseConfig } from '../config/app-config';
import { messageApiBaseUrl, messagePageLinkContext, rawQueryOfMessage } from './message-links';

describe('links of lists asked over a transport', () => {
  it('should use PUBLIC_URL, or http://localhost:PORT when it is unset', () => {
    expect(messageApiBaseUrl(parseConfig({ PUBLIC_URL: 'https://images.example/' }))).toBe(
      'https://images.example/api',
    );
    expect(messageApiBaseUrl(parseConfig({ PORT: '8080', API_PREFIX: 'v1' }))).toBe(
      'http://localhost:8080/v1',
    );
  });

  it.each([
    [undefined, ''],
    ['', ''],
    ['?include=anime', 'include=anime'],
    ['filter%5Bfacet%5D=Cover', 'filter%5Bfacet%5D=Cover'],
    [{ include: 'anime,artists' }, 'include=anime,artists'],
    [
      { filter: { facet: 'Large Cover', anime: { 'year-gte': 2000 } }, page: { size: 5 } },
      'filter[facet]=Large%20Cover&filter[anime][year-gte]=2000&page[size]=5',
    ],
    [
      { filter: { 'created_at-gte': '2024-01-01T10:00' } },
      'filter[created_at-gte]=2024-01-01T10:00',
    ],
    [{ filter: { 'path-like': '%a&b=c+d#' } }, 'filter[path-like]=%25a%26b%3Dc%2Bd%23'],
    ['include= anime&page[size]=1', 'include=%20anime&page[size]=1'],
    [
      'filter[path]=a\uD800b\uDFFF&x=\uD83D\uDE00',
      'filter[path]=a%EF%BF%BDb%EF%BF%BD&x=%F0%9F%98%80',
    ],
    ['filter[path]=a#b&filter[name]=%zz%41', 'filter[path]=a%23b&filter[name]=%25zz%41'],
    [
      'filter[path]=Émilie 😀"<>`{}|\\^',
      'filter[path]=%C3%89milie%20%F0%9F%98%80%22%3C%3E%60%7B%7D%7C%5C%5E',
    ],
    ["filter[path-like]=a+b!$'()*,;:@/?~", "filter[path-like]=a+b!$'()*,;:@/?~"],
  ])('should put the query %p in the links as %p', (query, raw) => {
    expect(rawQueryOfMessage(query)).toBe(raw);
  });

  it('should give the list its absolute base and query', () => {
    expect(messagePageLinkContext(parseConfig({}), { page: { number: 2 } })).toEqual({
      baseUrl: 'http://localhost:3000/api/image',
      rawQuery: 'page[number]=2',
    });
  });
});
