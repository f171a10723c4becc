import type { ParsedQuery } from '../query.types';

/** A response over this many bytes (as JSON) is not stored: it would push out many small ones. */
export const MAX_CACHED_RESPONSE_BYTES = 1024 * 1024;

/** Who hears of hits, misses and evictions (the /metrics counters). */
export interface ResponseCacheCounters {
  hit(): void;
  miss(): void;
  evicted(count: number): void;
}

/**
 * What is kept of one read response: its JSON as sent (or the part of it that does not depend on
 * the request), so a hit is written out without being rendered or serialised again.
 */
export interface CachedResponse {
  readonly json: Buffer;
}

/**
 * What the reader keeps of read responses, valid for one data version: `get` and `set` name the
 * version the answer rests on, read in the same statement as the entity tag.
 */
export interface ResponseCache {
  get(version: string, key: string): CachedResponse | undefined;
  /** What `get` would answer, neither counted nor made more recent (for an answer that may be a 304). */
  peek(version: string, key: string): CachedResponse | undefined;
  set(version: string, key: string, value: CachedResponse): void;
}

interface Entry {
  readonly value: CachedResponse;
  readonly bytes: number;
}

/**
 * What an entry costs beyond its JSON, key and strings: the Map's slot, the entry and value
 * objects, the Buffer's own object and allocation. Measured: 20,000 small pages held about 1,190
 * bytes each, of which about 650 were JSON, key and strings (docs/PERFORMANCE.md, "Memory").
 */
export const ENTRY_OVERHEAD_BYTES = 512;

/** The bytes an entry is charged: its JSON, its key, the strings it keeps, and the overhead. */
function costOf(key: string, value: CachedResponse): number {
  let bytes = value.json.length + key.length + ENTRY_OVERHEAD_BYTES;
  for (const field of Object.values(value)) if (typeof field === 'string') bytes += field.length;
  return bytes;
}

/**
 * `value` with its JSON in an allocation of its own: a small Buffer is a slice of Node's shared
 * 8 KiB pool, and a kept slice keeps its whole slab alive (with the throwaway buffers made beside
 * it), which made the cache hold more than twice what it counted.
 */
function owning(value: CachedResponse): CachedResponse {
  const { json } = value;
  if (json.buffer.byteLength === json.length) return value;
  const own = Buffer.allocUnsafeSlow(json.length);
  json.copy(own);
  return { ...value, json: own };
}

/**
 * An in-process cache of rendered read responses for the current data version, bounded by bytes
 * with least-recently-used eviction (a Map keeps insertion order: a hit moves its entry to the end).
 * The data version is one value for every table the reads render from, so when a read sees another
 * one, every entry is dead: they are all dropped at once instead of waiting to be evicted. An
 * answer whose version is no longer the current one (another read moved it on) is not stored.
 */
export class LruResponseCache implements ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private version?: string;
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly counters?: ResponseCacheCounters,
    private readonly maxEntryBytes = MAX_CACHED_RESPONSE_BYTES,
  ) {}

  get(version: string, key: string): CachedResponse | undefined {
    if (version !== this.version) this.startVersion(version);
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.counters?.miss();
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.counters?.hit();
    return entry.value;
  }

  peek(version: string, key: string): CachedResponse | undefined {
    if (version !== this.version) this.startVersion(version);
    return this.entries.get(key)?.value;
  }

  set(version: string, key: string, value: CachedResponse): void {
    if (version !== this.version) return;
    const bytes = costOf(key, value);
    if (value.json.length > this.maxEntryBytes || bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    let evicted = 0;
    while (this.bytes + bytes > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestKey);
      this.bytes -= oldest.bytes;
      evicted++;
    }
    if (evicted > 0) this.counters?.evicted(evicted);
    this.entries.set(key, { value: owning(value), bytes });
    this.bytes += bytes;
  }

  /** Entries and bytes held (`/metrics`, tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private startVersion(version: string): void {
    this.entries.clear();
    this.bytes = 0;
    this.version = version;
  }
}

/**
 * The part of a response cache key that names a query: the parsed query as JSON, so that parameter
 * order and spelling that parse the same share an entry. A filter's `key` (as the client wrote it,
 * for error messages) is left out: it does not change the answer.
 */
export function queryCacheKey(query: ParsedQuery): string {
  return JSON.stringify({
    ...query,
    filters: query.filters.map((condition) => ({ ...condition, key: undefined })),
  });
}
