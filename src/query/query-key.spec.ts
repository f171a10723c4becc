import { bracketedKey, dottedKey, parseParameterKey } from './query-key';

describe('parseParameterKey and dottedKey', () => {
  it.each<[string, { name: string; segments: string[] } | undefined, string]>([
    ['include', { name: 'include', segments: [] }, 'include'],
    ['page[size]', { name: 'page', segments: ['size'] }, 'page.size'],
    ['filter[facet-ne]', { name: 'filter', segments: ['facet-ne'] }, 'filter.facet-ne'],
    ['filter[anime][year]', { name: 'filter', segments: ['anime', 'year'] }, 'filter.anime.year'],
    ['fields[]', { name: 'fields', segments: [''] }, 'fields.'],
    ['a[b', undefined, 'a[b'],
    ['a]b', undefined, 'a]b'],
    ['[x]', undefined, '[x]'],
    ['filter[[x]]', undefined, 'filter[[x]]'],
    ['filter[x]y', undefined, 'filter[x]y'],
    ['', undefined, ''],
  ])('should split %j', (key, parsed, dotted) => {
    expect(parseParameterKey(key)).toEqual(parsed);
    expect(dottedKey(key)).toBe(dotted);
  });

  it('should write the bracketed form back', () => {
    expect(bracketedKey('filter', ['anime', 'year-gte'])).toBe('filter[anime][year-gte]');
    expect(bracketedKey('sort', [])).toBe('sort');
  });
});
