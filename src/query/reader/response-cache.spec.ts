import type { ParsedQuery } from '../query.types';
import { CachedResponse, LruResponseCache, queryCacheKey } from './response-cache';

/** A stored answer whose JSON is `text`. */
const answer = (text: string): CachedResponse => ({ json: Buffer.from(text) });
/** Bytes an entry is charged: its JSON's length in bytes plus its key's length. */
const cost = (key: string, text: string) => Buffer.byteLength(text) + key.length;

function counting() {
  const counts = { hits: 0, misses: 0, evictions: 0 };
  return {
    counts,
    counters: {
      hit: () => counts.hits++,
      miss: () => counts.misses++,
      evicted: (count: number) => (counts.evictions += count),
    },
  };
}

describe('LruResponseCache', () => {
  it('should answer what was stored at the same version, and count hits and misses', () => {
    const { counts, counters } = counting();
    const cache = new LruResponseCache(1000, counters);
    expect(cache.get('v1', 'a')).toBeUndefined();
    const stored = answer('{"x":"é"}');
    cache.set('v1', 'a', stored);
    expect(cache.get('v1', 'a')).toBe(stored);
    expect(counts).toEqual({ hits: 1, misses: 1, evictions: 0 });
    expect(cache.size).toEqual({ entries: 1, bytes: cost('a', '{"x":"é"}') });
    expect(cache.size.bytes).toBe(11); // bytes, not characters
  });

  it('should drop every entry when a read sees another version, and not store older answers', () => {
    const cache = new LruResponseCache(1000);
    const [one, two] = [answer('1'), answer('2')];
    cache.set('v1', 'a', one);
    expect(cache.get('v1', 'a')).toBeUndefined();
    cache.set('v1', 'a', one);
    expect(cache.get('v1', 'a')).toBe(one);
    expect(cache.get('v2', 'a')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    // An answer read at v1 that finishes after a v2 read is not kept.
    cache.set('v1', 'a', one);
    expect(cache.size.entries).toBe(0);
    cache.set('v2', 'a', two);
    expect(cache.get('v2', 'a')).toBe(two);
  });

  it('should evict the least recently used entries first, by bytes', () => {
    const { counts, counters } = counting();
    const value = answer('x'.repeat(100)); // 100 bytes of JSON, plus 1 for the key
    const cache = new LruResponseCache(3 * 101, counters);
    cache.get('v', 'a');
    cache.set('v', 'a', value);
    cache.set('v', 'b', value);
    cache.set('v', 'c', value);
    expect(cache.get('v', 'a')).toBe(value); // a is now the most recent
    cache.set('v', 'd', value);
    expect(counts.evictions).toBe(1);
    expect(cache.get('v', 'b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => cache.get('v', key))).toEqual([value, value, value]);
    expect(cache.size).toEqual({ entries: 3, bytes: 303 });
    // A big one pushes out as many as it needs.
    cache.set('v', 'e', answer('y'.repeat(200)));
    expect(counts.evictions).toBe(3);
    expect(cache.size).toEqual({ entries: 2, bytes: 302 });
  });

  it('should peek at an entry of the version without counting it or making it more recent', () => {
    const { counts, counters } = counting();
    const value = answer('x'.repeat(100));
    const cache = new LruResponseCache(2 * 101, counters);
    expect(cache.peek('v', 'a')).toBeUndefined();
    cache.set('v', 'a', value);
    cache.set('v', 'b', value);
    expect(cache.peek('v', 'a')).toBe(value);
    expect(counts).toEqual({ hits: 0, misses: 0, evictions: 0 });
    cache.set('v', 'c', value); // a stays the least recent: it goes
    expect([cache.peek('v', 'a'), cache.peek('v', 'b')]).toEqual([undefined, value]);
    // Another version: nothing of the old one.
    expect(cache.peek('w', 'b')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('should replace an entry stored again under its key without counting it twice', () => {
    const cache = new LruResponseCache(1000);
    cache.get('v', 'a');
    cache.set('v', 'a', answer('one'));
    cache.set('v', 'a', answer('three'));
    expect(cache.size).toEqual({ entries: 1, bytes: cost('a', 'three') });
  });

  it('should not store an answer over the per-entry limit or the whole budget', () => {
    const cache = new LruResponseCache(1000, undefined, 50);
    cache.get('v', 'a');
    cache.set('v', 'a', answer('x'.repeat(60)));
    expect(cache.size.entries).toBe(0);
    const small = new LruResponseCache(10);
    small.get('v', 'a');
    small.set('v', 'a', answer('x'.repeat(20)));
    expect(small.size.entries).toBe(0);
  });
});

describe('queryCacheKey', () => {
  const query = (key: string): ParsedQuery => ({
    include: ['anime'],
    fields: {},
    filters: [
      {
        key,
        field: 'facet',
        operator: 'eq',
        logic: 'and',
        negated: false,
        values: [1],
        appliesTo: ['image'],
      },
    ],
    trashed: 'without',
    sort: {},
    page: { size: 10, number: 1 },
  });

  it('should leave out how a filter key was spelt, and keep everything that shapes the answer', () => {
    expect(queryCacheKey(query('filter.facet'))).toBe(queryCacheKey(query('filter%5Bfacet%5D')));
    expect(queryCacheKey(query('filter.facet'))).not.toBe(
      queryCacheKey({ ...query('filter.facet'), page: { size: 10, number: 2 } }),
    );
    expect(queryCacheKey(query('filter.facet'))).not.toBe(
      queryCacheKey({ ...query('filter.facet'), include: [] }),
    );
  });
});
