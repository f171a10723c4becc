import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { parseQuery } from './parse-query';
import { isPlainCursor } from './parsers/page.parser';
import type { ParsedQuery, QueryMode, RootResourceSchema } from './query.types';

/** How many parsed query strings each route keeps (see `ParsedQueryCache`). */
export const PARSED_QUERY_CACHE_SIZE = 1000;

/**
 * The longest query string a route keeps parsed: the ones clients repeat are short, and a long one
 * can hold many values (a probe's 8 KB strings ran the heap out at 1,000 per route).
 */
export const MAX_KEPT_QUERY_LENGTH = 512;

/**
 * The parsed queries of one route by raw query string. Clients repeat a handful of query strings
 * (the first page, a filter, the next page numbers), and parsing and judging one anew cost a list
 * request more than the rest of its own code did (docs/PERFORMANCE.md). Only what parsed is kept —
 * a bad query is judged (422) every time. A keyset page is looked up with its cursor left out
 * (`page[cursor]=` in its place): the cursor makes every string unique, and nothing else the parser
 * judges depends on its value. The entries are deeply frozen: one object serves many requests, so
 * no code may change it. At most `capacity` entries of at most `MAX_KEPT_QUERY_LENGTH` characters,
 * the oldest going first: a client sending ever new strings only costs itself and others a parse,
 * as if there were no cache, and a bounded amount of memory.
 */
export class ParsedQueryCache {
  private readonly entries = new Map<string, ParsedQuery>();

  constructor(
    private readonly schema: RootResourceSchema,
    private readonly mode: QueryMode,
    private readonly capacity = PARSED_QUERY_CACHE_SIZE,
  ) {}

  /** `parseQuery(input, schema, mode)`, from the cache when the same string was parsed before. */
  parse(input: unknown): ParsedQuery {
    if (typeof input !== 'string') return parseQuery(input, this.schema, this.mode);
    const cached = this.entries.get(input);
    if (cached !== undefined) return cached;
    const keyset = withoutCursor(input);
    if (keyset === undefined) return this.parseAndKeep(input);
    const parsed = this.entries.get(keyset.rest) ?? this.parseAndKeep(keyset.rest);
    const page: ParsedQuery = { ...parsed, page: { ...parsed.page, cursor: keyset.cursor } };
    keysetPageQueries.set(page, parsed);
    return page;
  }

  get size(): number {
    return this.entries.size;
  }

  private parseAndKeep(input: string): ParsedQuery {
    const parsed = parseQuery(input, this.schema, this.mode);
    // A cursor spelt in a way `withoutCursor` leaves alone (percent-encoded, say): not kept.
    if (parsed.page.cursor !== undefined && parsed.page.cursor !== '') return parsed;
    if (input.length > MAX_KEPT_QUERY_LENGTH) return parsed;
    if (this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(input, deepFreeze(parsed));
    return parsed;
  }
}

/** Each keyset page's query, made by a `ParsedQueryCache`, with the cached query it was copied from. */
const keysetPageQueries = new WeakMap<ParsedQuery, ParsedQuery>();

/**
 * The query every page of a keyset walk shares: for a keyset page's query from a
 * `ParsedQueryCache`, the cached (frozen) query it was copied from, which differs from it in
 * `page.cursor` only (it is `''`); otherwise the query itself. What depends on everything but the
 * cursor (the cursor binding, the sort terms) can be worked out once per walk by keying on it.
 */
export function cursorlessQueryOf(query: ParsedQuery): ParsedQuery {
  return keysetPageQueries.get(query) ?? query;
}

const CURSOR_KEYS = new Set(['page[cursor]', 'page%5Bcursor%5D', 'page%5bcursor%5d']);

/**
 * A raw query string with one non-empty `page[cursor]` taken out of it (`page[cursor]=` left in its
 * place), when the key is spelt plainly and the value is one `parsePageCursor` takes as it is; else
 * undefined (the string is parsed whole: a repeated or odd cursor gets the parser's own answer).
 */
export function withoutCursor(raw: string): { rest: string; cursor: string } | undefined {
  const segments = raw.split('&');
  let found: { index: number; key: string; cursor: string } | undefined;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    const equals = segment.indexOf('=');
    if (equals === -1 || !CURSOR_KEYS.has(segment.slice(0, equals))) continue;
    if (found !== undefined) return undefined;
    found = { index, key: segment.slice(0, equals + 1), cursor: segment.slice(equals + 1) };
  }
  if (found === undefined || found.cursor === '' || !isPlainCursor(found.cursor)) return undefined;
  segments[found.index] = found.key;
  return { rest: segments.join('&'), cursor: found.cursor };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

interface ParsedQueryParamOptions {
  readonly cache: ParsedQueryCache;
}

/** The parts of a Fastify (or Node) request the query is read from. */
export interface RequestWithQuery {
  readonly url?: string;
  readonly raw?: { readonly url?: string };
  readonly query?: unknown;
}

/**
 * The query of a request, as the raw query string when the URL is known: it keeps the exact order
 * the client wrote (filters fold left to right) and every repeated key. Falls back to the parsed
 * `request.query` object.
 */
export function rawQueryOf(request: RequestWithQuery): unknown {
  const url = request.raw?.url ?? request.url;
  if (typeof url !== 'string') return request.query;
  const start = url.indexOf('?');
  if (start === -1) return '';
  // A second `?` (`??page[size]=1`) belongs to the first key: spelled `%3F`, it is not taken for the
  // optional `?` a query string given as text may begin with (normalize-query-input.ts).
  return url.charCodeAt(start + 1) === 63 ? `%3F${url.slice(start + 2)}` : url.slice(start + 1);
}

const parsedQueryParam = createParamDecorator(
  (options: ParsedQueryParamOptions, context: ExecutionContext) =>
    options.cache.parse(rawQueryOf(context.switchToHttp().getRequest<RequestWithQuery>())),
);

/**
 * Hands a handler the request's query parsed and validated against `schema` for the route `mode`
 * (`index`, the list, or `show`), as a typed ParsedQuery (from the route's `ParsedQueryCache` when
 * the same query string came before); a bad query is a 422 before the handler runs:
 * `list(@ResourceQuery(IMAGE_QUERY_SCHEMA) query: ParsedQuery)`.
 */
export const ResourceQuery = (
  schema: RootResourceSchema,
  mode: QueryMode = 'index',
): ParameterDecorator => parsedQueryParam({ cache: parsedQueriesOf(schema, mode) });

const parsedQueryCaches = new WeakMap<RootResourceSchema, Record<QueryMode, ParsedQueryCache>>();

/**
 * The one `ParsedQueryCache` of a schema and mode, shared by every route (and the early cache hits)
 * that parses with them: a parse depends on nothing else.
 */
export function parsedQueriesOf(schema: RootResourceSchema, mode: QueryMode): ParsedQueryCache {
  let caches = parsedQueryCaches.get(schema);
  if (caches === undefined) {
    caches = {
      index: new ParsedQueryCache(schema, 'index'),
      show: new ParsedQueryCache(schema, 'show'),
    };
    parsedQueryCaches.set(schema, caches);
  }
  return caches[mode];
}
