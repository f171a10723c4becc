import type { ParsedQuery } from '../query.types';
import { LruResponseCache, queryCacheKey } from './response-cache';

/** Bytes an entry is charged: its JSON's UTF-8 length plus its key's length. */
const cost = (key: string, value: unknown) => Buffer.byteLength(JSON.stringify(value)) + key.length;

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
    cache.set('v1', 'a', { x: 1 });
    expect(cache.get('v1', 'a')).toEqual({ x: 1 });
    expect(counts).toEqual({ hits: 1, misses: 1, evictions: 0 });
    expect(cache.size).toEqual({ entries: 1, bytes: cost('a', { x: 1 }) });
  });

  it('should drop every entry when a read sees another version, and not store older answers', () => {
    const cache = new LruResponseCache(1000);
    cache.set('v1', 'a', 1);
    expect(cache.get('v1', 'a')).toBeUndefined();
    cache.set('v1', 'a', 1);
    expect(cache.get('v1', 'a')).toBe(1);
    expect(cache.get('v2', 'a')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    // An answer read at v1 that finishes after a v2 read is not kept.
    cache.set('v1', 'a', 1);
    expect(cache.size.entries).toBe(0);
    cache.set('v2', 'a', 2);
    expect(cache.get('v2', 'a')).toBe(2);
  });

  it('should evict the least recently used entries first, by bytes', () => {
    const { counts, counters } = counting();
    const value = 'x'.repeat(98); // 100 bytes of JSON, plus 1 for the key
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
    cache.set('v', 'e', 'y'.repeat(198));
    expect(counts.evictions).toBe(3);
    expect(cache.size).toEqual({ entries: 2, bytes: 302 });
  });

  it('should replace an entry stored again under its key without counting it twice', () => {
    const cache = new LruResponseCache(1000);
    cache.get('v', 'a');
    cache.set('v', 'a', 'one');
    cache.set('v', 'a', 'three');
    expect(cache.size).toEqual({ entries: 1, bytes: cost('a', 'three') });
  });

  it('should not store an answer over the per-entry limit or the whole budget', () => {
    const cache = new LruResponseCache(1000, undefined, 50);
    cache.get('v', 'a');
    cache.set('v', 'a', 'x'.repeat(60));
    expect(cache.size.entries).toBe(0);
    const small = new LruResponseCache(10);
    small.get('v', 'a');
    small.set('v', 'a', 'x'.repeat(20));
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
