import type { ParsedQuery } from '../query.types';
import {
  CachedResponse,
  ENTRY_OVERHEAD_BYTES,
  LruResponseCache,
  queryCacheKey,
} from './response-cache';

/** A stored answer whose JSON is `text`. */
const answer = (text: string): CachedResponse => ({ json: Buffer.from(text) });
/** Bytes an entry is charged: its JSON's length in bytes, its key's length and the overhead. */
const cost = (key: string, text: string) =>
  Buffer.byteLength(text) + key.length + ENTRY_OVERHEAD_BYTES;
/** What an entry of 100 bytes of JSON under a one-letter key costs. */
const ENTRY = cost('a', 'x'.repeat(100));

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
    expect(cache.get('v1', 'a')).toEqual(stored);
    expect(counts).toEqual({ hits: 1, misses: 1, evictions: 0 });
    expect(cache.size).toEqual({ entries: 1, bytes: cost('a', '{"x":"é"}') });
    expect(cache.size.bytes).toBe(11 + ENTRY_OVERHEAD_BYTES); // bytes, not characters
  });

  it('should drop every entry when a read sees another version, and not store older answers', () => {
    const cache = new LruResponseCache(10_000);
    const [one, two] = [answer('1'), answer('2')];
    cache.set('v1', 'a', one);
    expect(cache.get('v1', 'a')).toBeUndefined();
    cache.set('v1', 'a', one);
    expect(cache.get('v1', 'a')).toEqual(one);
    expect(cache.get('v2', 'a')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    // An answer read at v1 that finishes after a v2 read is not kept.
    cache.set('v1', 'a', one);
    expect(cache.size.entries).toBe(0);
    cache.set('v2', 'a', two);
    expect(cache.get('v2', 'a')).toEqual(two);
  });

  it('should evict the least recently used entries first, by bytes', () => {
    const { counts, counters } = counting();
    const value = answer('x'.repeat(100)); // 100 bytes of JSON, 1 for the key, the overhead
    const cache = new LruResponseCache(3 * ENTRY, counters);
    cache.get('v', 'a');
    cache.set('v', 'a', value);
    cache.set('v', 'b', value);
    cache.set('v', 'c', value);
    expect(cache.get('v', 'a')).toEqual(value); // a is now the most recent
    cache.set('v', 'd', value);
    expect(counts.evictions).toBe(1);
    expect(cache.get('v', 'b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => cache.get('v', key))).toEqual([value, value, value]);
    expect(cache.size).toEqual({ entries: 3, bytes: 3 * ENTRY });
    // A big one pushes out as many as it needs.
    cache.set('v', 'e', answer('y'.repeat(100 + ENTRY)));
    expect(counts.evictions).toBe(3);
    expect(cache.size).toEqual({ entries: 2, bytes: ENTRY + cost('e', 'y'.repeat(100 + ENTRY)) });
  });

  it('should peek at an entry of the version without counting it or making it more recent', () => {
    const { counts, counters } = counting();
    const value = answer('x'.repeat(100));
    const cache = new LruResponseCache(2 * ENTRY, counters);
    expect(cache.peek('v', 'a')).toBeUndefined();
    cache.set('v', 'a', value);
    cache.set('v', 'b', value);
    expect(cache.peek('v', 'a')).toEqual(value);
    expect(counts).toEqual({ hits: 0, misses: 0, evictions: 0 });
    cache.set('v', 'c', value); // a stays the least recent: it goes
    expect([cache.peek('v', 'a'), cache.peek('v', 'b')]).toEqual([undefined, value]);
    // Another version: nothing of the old one.
    expect(cache.peek('w', 'b')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('should replace an entry stored again under its key without counting it twice', () => {
    const cache = new LruResponseCache(10_000);
    cache.get('v', 'a');
    cache.set('v', 'a', answer('one'));
    cache.set('v', 'a', answer('three'));
    expect(cache.size).toEqual({ entries: 1, bytes: cost('a', 'three') });
  });

  it('should not store an answer over the per-entry limit (its JSON alone) or the whole budget', () => {
    const cache = new LruResponseCache(10_000, undefined, 50);
    cache.get('v', 'a');
    cache.set('v', 'a', answer('x'.repeat(51)));
    expect(cache.size.entries).toBe(0);
    cache.set('v', 'a', answer('x'.repeat(50)));
    expect(cache.size.entries).toBe(1);
    const small = new LruResponseCache(ENTRY - 1);
    small.get('v', 'a');
    small.set('v', 'a', answer('x'.repeat(100)));
    expect(small.size.entries).toBe(0);
  });

  it('should charge the strings an entry keeps, and keep its JSON out of the shared buffer pool', () => {
    const cache = new LruResponseCache(10_000);
    cache.get('v', 'a');
    const pooled = Buffer.from('{"x":1}'); // small: a slice of Node's 8 KiB pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const value = { json: pooled, url: 'http://h/api/image?x=1', tag: '"t"', count: 1 };
    cache.set('v', 'a', value);
    expect(cache.size.bytes).toBe(cost('a', '{"x":1}') + value.url.length + value.tag.length);
    const kept = cache.get('v', 'a')!;
    expect(kept).toEqual(value);
    expect(kept.json.buffer.byteLength).toBe(kept.json.length);
    // A buffer of its own already is kept as it is.
    const own = { json: Buffer.alloc(5000, 120) };
    cache.set('v', 'b', own);
    expect(cache.get('v', 'b')).toBe(own);
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
