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
    // Its JSON's length in bytes: close to what it costs to keep.
    const bytes = value.json.length + key.length;
    if (bytes > this.maxEntryBytes || bytes > this.maxBytes) return;
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
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
  }

  /** Entries and bytes held (for tests). */
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
