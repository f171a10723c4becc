import { Injectable, Optional } from '@nestjs/common';
import { NotFoundError } from '../../common/api-error';
import {
  ConditionalResult,
  entityTag,
  ifNoneMatchMatches,
  isAnyTag,
} from '../../common/entity-tag';
import type { AppConfig } from '../../config/app-config';
import { InjectAppConfig } from '../../config/config.module';
import { ReadReplicas } from '../../database/read-replicas';
import { MetricsService } from '../../metrics';
import {
  cursorBinding,
  CursorCodec,
  CursorDirection,
  CursorPosition,
  CursorValue,
} from '../cursor';
import { cursorSecretOf } from '../cursor-secret';
import { cursorPaginate, PageLinks, PageMeta, paginate } from '../pagination';
import { OrderTerm, orderTermsFor } from '../query-plan';
import { cursorlessQueryOf } from '../query.decorator';
import type { ParsedQuery } from '../query.types';
import {
  compileRenderer,
  RawRow,
  RenderedResource,
  renderBelongsTo,
  renderWithIncludes,
} from '../resource-renderer';
import type { ReadableResource, ReadContext, ResourceKey } from './readable-resource';
import { CachedResponse, LruResponseCache, queryCacheKey } from './response-cache';
import { SqlRowSource } from './sql-row-source';

/**
 * Part of every entity tag: bump it when responses render differently for the same data (a new
 * field, another format), so that tags cached by clients stop matching.
 */
const REPRESENTATION_VERSION = '1';

/**
 * How many times a read is made when writes keep changing the data under it; the last one's
 * answer goes out without an entity tag and is not cached (docs/read-path.md).
 */
const READ_ATTEMPTS = 3;

/**
 * Whether an untagged read may take several statements (its included relations come from their
 * own), so that it reads the data version around them to answer one state.
 */
function readsInParts(query: ParsedQuery): boolean {
  return query.include.length > 0;
}

/** A list: the rendered rows under the resource's plural key, `links` and `meta`. */
export type PageBody = Record<string, unknown> & { links: PageLinks; meta: PageMeta };
/** One item under the resource's singular key. */
export type ItemBody = Record<string, RenderedResource>;

/**
 * What a page's body is made of apart from its links and meta: the part the response cache keeps.
 * Links are made per request from its own URL, so a cached page never carries another host's.
 */
interface PageData {
  readonly items: RenderedResource[];
  /** An offset page: whether a row past it was found. */
  readonly hasMore?: boolean;
  /** A keyset page: the cursors of its neighbours (null at the ends). */
  readonly cursors?: { readonly prev: string | null; readonly next: string | null };
}

/**
 * A page as the response cache keeps it: its body as JSON for the request that read it (`json`,
 * sent as it is when the same URL asks again) and what links for another URL need: the body up to
 * its links (`{"<plural>":[...]`, the first `headLength` bytes) and the page's neighbours.
 */
interface CachedPage extends CachedResponse, Omit<PageData, 'items'> {
  /** The URL `json` was made for: `<baseUrl>?<rawQuery>`. */
  readonly url: string;
  /** The entity tag `json` was sent with: the tag of `url` at the entry's version. */
  readonly tag: string;
  readonly headLength: number;
  readonly count: number;
}

/** An item as the response cache keeps it, with the query string and tag it was sent with. */
interface CachedItem extends CachedResponse {
  readonly rawQuery: string;
  readonly tag: string;
}

/** What all pages of a keyset walk share: the sort terms and the binding of their cursors. */
interface KeysetWalk {
  readonly terms: readonly OrderTerm[];
  readonly binding: string;
}

/** A keyset page to read: its walk, and where it starts (none: the first page). */
interface KeysetRequest extends KeysetWalk {
  readonly position?: CursorPosition;
}

/** A sort value as the drivers hand it over (numbers, strings, NULL; a bigint as a string). */
function cursorValue(value: unknown): CursorValue {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return null;
}

/** A key as text, for messages and entity tags (a record as its values joined by `/`). */
function keyText(key: ResourceKey): string {
  return typeof key === 'object' ? Object.values(key).join('/') : String(key);
}

function notFoundMessage(resource: ReadableResource, key: ResourceKey): string {
  const text = typeof key === 'object' ? keyText(key) : key;
  if (resource.notFoundMessage !== undefined) return resource.notFoundMessage(text);
  const type = resource.schema.type;
  return `${type.charAt(0).toUpperCase()}${type.slice(1)} ${text} not found.`;
}

/**
 * The one read path of every resource: offset and keyset pages, cursors, the change-version entity
 * tag and 304, included relations, rendering and links. A resource's service calls it once a route.
 */
@Injectable()
export class ResourceReader {
  private cursorCodec?: CursorCodec;
  private readonly keysetWalks = new WeakMap<ParsedQuery, KeysetWalk>();
  /** The response cache; none when `RESPONSE_CACHE_MB=0`. */
  private readonly cache?: LruResponseCache;
  private readonly queryKeys = {
    list: new WeakMap<ParsedQuery, string>(),
    show: new WeakMap<ParsedQuery, string>(),
  };
  /** `X-Cache: hit|miss` on cacheable answers, for debugging only. */
  private readonly reportCache: boolean;

  constructor(
    private readonly replicas: ReadReplicas,
    @InjectAppConfig() private readonly config: AppConfig,
    @Optional() metrics?: MetricsService,
  ) {
    // At `trace` too: the more verbose level shows what `debug` does (found by a probe).
    this.reportCache = config.logLevel === 'debug' || config.logLevel === 'trace';
    this.cache =
      config.responseCacheMb === 0
        ? undefined
        : new LruResponseCache(
            config.responseCacheMb * 1024 * 1024,
            metrics && {
              hit: () => metrics.responseCacheHits.inc(),
              miss: () => metrics.responseCacheMisses.inc(),
              evicted: (count) => metrics.responseCacheEvictions.inc(count),
            },
          );
    const cache = this.cache;
    if (cache !== undefined) metrics?.observeResponseCache(() => cache.size);
  }

  /**
   * Runs all the statements of one read request (the data version included, so the tag, the cache
   * entry and the rows agree) on one server: a replica within the lag bound, else the primary
   * (read-replicas.ts).
   */
  private reading<T>(work: (rows: SqlRowSource) => Promise<T>): Promise<T> {
    return this.replicas.run((source, deadline) => work(SqlRowSource.of(source).within(deadline)));
  }

  /**
   * A list page with its entity tag, or only the tag (304) when `If-None-Match` matches it, found
   * without reading a row. `sort=random` has no tag. A bad cursor is a 422 (even for `*`). The
   * body is `{ [pluralKey]: items, links, meta }`; `Body` names it for the caller.
   */
  readPage<Body = PageBody>(
    resource: ReadableResource,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<Body>> {
    return this.conditionalPage(resource, query, context) as Promise<ConditionalResult<Body>>;
  }

  /**
   * One item (even a soft-deleted one) with its entity tag, or only the tag (304). A tag is only
   * ever handed out with a 200, so a matching one proves the item existed at this data version and
   * still does; `If-None-Match: *` has no such proof and looks the item up (404 when missing).
   */
  readOne<Body = ItemBody>(
    resource: ReadableResource,
    key: ResourceKey,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<Body>> {
    return this.conditionalItem(resource, key, query, context) as Promise<ConditionalResult<Body>>;
  }

  private async conditionalPage(
    resource: ReadableResource,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<PageBody>> {
    const keyset = this.keysetRequestOf(resource, query);
    return this.reading(async (rows) => {
      for (let attempt = 1; ; attempt += 1) {
        const last = attempt === READ_ATTEMPTS;
        if (context.entityTag === false || query.sort[resource.schema.type] === 'random') {
          const before = readsInParts(query) ? await rows.dataVersion() : undefined;
          const data = await this.pageData(rows, resource, query, keyset);
          if (!last && (await this.changedSince(rows, before))) continue;
          return ConditionalResult.modified(null, this.pageBody(resource, query, context, data));
        }
        const version = await rows.dataVersion();
        // The links of a list repeat its query string as sent, so the tag covers it as sent.
        const url = `${context.baseUrl}?${context.rawQuery}`;
        if (this.cache === undefined) {
          const tag = this.entityTagOf(version, `list\n${url}`);
          if (ifNoneMatchMatches(context.ifNoneMatch, tag)) {
            return ConditionalResult.notModified(tag);
          }
          const data = await this.pageData(rows, resource, query, keyset);
          const torn = await this.changedSince(rows, version);
          if (torn && !last) continue;
          const body = this.pageBody(resource, query, context, data);
          return ConditionalResult.modified(torn ? null : tag, body);
        }
        const key = this.pageKeyOf(resource, query);
        const found = this.pageFromCache(this.cache, version, key, url, query, context);
        if (typeof found !== 'string') return found;
        const tag = found;
        const report = this.reportCache ? 'miss' : undefined;
        const data = await this.pageData(rows, resource, query, keyset);
        const torn = await this.changedSince(rows, version);
        if (torn && !last) continue;
        if (torn) {
          return ConditionalResult.modified(null, this.pageBody(resource, query, context, data));
        }
        const { items, ...neighbours } = data;
        // The body up to its links, as JSON.stringify writes the whole body.
        const head = Buffer.from(
          `{${JSON.stringify(resource.schema.pluralKey)}:${JSON.stringify(items)}`,
        );
        const entry = { ...neighbours, count: items.length, url, tag, headLength: head.length };
        const json = this.pageJson(query, context, { ...entry, json: head });
        this.cache.set(version, key, { ...entry, json });
        return ConditionalResult.serialized(tag, json, report);
      }
    });
  }

  private async conditionalItem(
    resource: ReadableResource,
    key: ResourceKey,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<ItemBody>> {
    return this.reading(async (rows) => {
      for (let attempt = 1; ; attempt += 1) {
        const last = attempt === READ_ATTEMPTS;
        if (context.entityTag === false) {
          const before = readsInParts(query) ? await rows.dataVersion() : undefined;
          const body = await this.item(rows, resource, key, query);
          if (!last && (await this.changedSince(rows, before))) continue;
          return ConditionalResult.modified(null, body);
        }
        const version = await rows.dataVersion();
        if (this.cache === undefined) {
          const tag = this.itemTag(resource, key, context.rawQuery, version);
          const matches = ifNoneMatchMatches(context.ifNoneMatch, tag);
          if (matches && !isAnyTag(context.ifNoneMatch)) return ConditionalResult.notModified(tag);
          const body = await this.item(rows, resource, key, query);
          const torn = await this.changedSince(rows, version);
          if (torn && !last) continue;
          if (matches) return ConditionalResult.notModified(tag);
          return ConditionalResult.modified(torn ? null : tag, body);
        }
        // As JSON: a number 1 and a string '1' need not name the same row; a composite key stays whole.
        const cacheKey = this.queryKeyOf('show', resource, query) + JSON.stringify(key);
        const stored = this.cache.peek(version, cacheKey) as CachedItem | undefined;
        // An item stored for this very query string at this version was sent with this request's tag.
        const tag =
          stored !== undefined && stored.rawQuery === context.rawQuery
            ? stored.tag
            : this.itemTag(resource, key, context.rawQuery, version);
        const matches = ifNoneMatchMatches(context.ifNoneMatch, tag);
        if (matches && !isAnyTag(context.ifNoneMatch)) return ConditionalResult.notModified(tag);
        let item = this.cache.get(version, cacheKey);
        const cache = item === undefined ? 'miss' : 'hit';
        if (item === undefined) {
          const body = await this.item(rows, resource, key, query);
          const torn = await this.changedSince(rows, version);
          if (torn && !last) continue;
          if (torn) {
            return matches
              ? ConditionalResult.notModified(tag)
              : ConditionalResult.modified(null, body);
          }
          const entry: CachedItem = {
            json: Buffer.from(JSON.stringify(body)),
            rawQuery: context.rawQuery,
            tag,
          };
          this.cache.set(version, cacheKey, entry);
          item = entry;
        }
        if (matches) return ConditionalResult.notModified(tag);
        return ConditionalResult.serialized(tag, item.json, this.reportCache ? cache : undefined);
      }
    });
  }

  /** The response cache's key of a page: the query as parsed (spellings that mean the same share it). */
  private pageKeyOf(resource: ReadableResource, query: ParsedQuery): string {
    const prefix = this.queryKeyOf('list', resource, query);
    return query.page.cursor === undefined ? prefix : prefix + query.page.cursor;
  }

  /**
   * A page's answer from the response cache at `version` for `url` (`<baseUrl>?<rawQuery>`, which
   * the tag covers as sent, as the links repeat it): a 304 when `If-None-Match` matches its
   * tag, the stored page (a hit), or, when it is not stored, the tag to send it with once read.
   */
  private pageFromCache(
    cache: LruResponseCache,
    version: string,
    key: string,
    url: string,
    query: ParsedQuery,
    context: ReadContext,
  ): ConditionalResult<PageBody> | string {
    const stored = cache.peek(version, key) as CachedPage | undefined;
    // A page stored for this very URL at this version was sent with this request's tag.
    const sameUrl = stored !== undefined && stored.url === url;
    const tag = sameUrl ? stored.tag : this.entityTagOf(version, `list\n${url}`);
    if (ifNoneMatchMatches(context.ifNoneMatch, tag)) return ConditionalResult.notModified(tag);
    // Counts the hit or miss, and makes a hit the most recent entry.
    const page = cache.get(version, key) as CachedPage | undefined;
    if (page === undefined) return tag;
    const json = sameUrl ? page.json : this.pageJson(query, context, page);
    return ConditionalResult.serialized(tag, json, this.reportCache ? 'hit' : undefined);
  }

  /**
   * Whether a write committed since the data version `before` was read, while the read's own
   * statements ran: each write bumps the versions in its own transaction, so the same version
   * after the rows means the body is the state the tag names. Without the check a tagged answer
   * could show the data after a write under the tag (and in the cache) of the state before it (a
   * probe saw one tag sent with two bodies), and a read of several statements (its included
   * relations) could mix two states: an image without the links a force delete was removing with
   * it, or a link whose image was gone. An untagged read of one statement (`before` undefined) is
   * one state already.
   */
  private async changedSince(rows: SqlRowSource, before: string | undefined): Promise<boolean> {
    if (before === undefined) return false;
    return (await rows.dataVersion()) !== before;
  }

  /**
   * The entity tag `readOne` gives an item read with `rawQuery` at `dataVersion`; writes check
   * `If-Match` against it (the data version read in their transaction).
   */
  itemTag(
    resource: ReadableResource,
    key: ResourceKey,
    rawQuery: string,
    dataVersion: string,
  ): string {
    const name = typeof key === 'object' ? JSON.stringify(key) : key;
    return this.entityTagOf(dataVersion, `show\n${resource.schema.type}/${name}?${rawQuery}`);
  }

  /**
   * What the response cache keys a read by, apart from the cursor or id (which follow it): worked
   * out once per query object and route (a query object is parsed for one resource's route), so a
   * repeated query hands the cache the same string, whose hash V8 keeps. Every page of a keyset
   * walk shares the cursorless query's.
   */
  private queryKeyOf(
    kind: 'list' | 'show',
    resource: ReadableResource,
    query: ParsedQuery,
  ): string {
    const walkQuery = cursorlessQueryOf(query);
    const keys = this.queryKeys[kind];
    let key = keys.get(walkQuery);
    if (key === undefined) {
      key = `${kind}\n${resource.schema.type}\n${queryCacheKey(walkQuery)}\n`;
      keys.set(walkQuery, key);
    }
    return key;
  }

  private async item(
    rows: SqlRowSource,
    resource: ReadableResource,
    key: ResourceKey,
    query: ParsedQuery,
  ): Promise<ItemBody> {
    const row = await rows.one(resource.schema, query, key);
    if (row === undefined) {
      throw new NotFoundError(notFoundMessage(resource, key));
    }
    const [rendered] = await this.render(rows, resource, [row], query);
    return { [resource.schema.singularKey]: rendered };
  }

  /**
   * The entity tag of a read: the data version (the change versions of the tables it renders from,
   * read before any of its rows, so a write racing the read can only cost a needless 200, never a
   * stale 304), what was asked (`key`), and what else shapes the body (the image base URL, the
   * representation).
   */
  private entityTagOf(dataVersion: string, key: string): string {
    return entityTag([REPRESENTATION_VERSION, this.config.imageBaseUrl, dataVersion, key]);
  }

  private get cursors(): CursorCodec {
    // Made on first use: a service that never pages by cursor never creates a secret file.
    this.cursorCodec ??= new CursorCodec(cursorSecretOf(this.config));
    return this.cursorCodec;
  }

  /** The keyset page `page[cursor]` asks for (none: an offset page); a bad cursor is a 422. */
  private keysetRequestOf(
    resource: ReadableResource,
    query: ParsedQuery,
  ): KeysetRequest | undefined {
    const token = query.page.cursor;
    if (token === undefined) return undefined;
    const { terms, binding } = this.keysetWalkOf(resource, query);
    if (token === '') return { terms, binding };
    return { terms, binding, position: this.cursors.decode(token, binding, terms.length) };
  }

  /**
   * The sort terms and the cursor binding of a keyset walk, worked out once per walk: every page of
   * it comes with the same cursorless query (`cursorlessQueryOf`), and neither depends on the cursor.
   */
  private keysetWalkOf(resource: ReadableResource, query: ParsedQuery): KeysetWalk {
    const walkQuery = cursorlessQueryOf(query);
    let walk = this.keysetWalks.get(walkQuery);
    if (walk === undefined) {
      const schema = resource.schema;
      const sort = walkQuery.sort[schema.type];
      walk = {
        terms: orderTermsFor(schema, sort === 'random' ? undefined : sort),
        binding: cursorBinding(schema, walkQuery),
      };
      this.keysetWalks.set(walkQuery, walk);
    }
    return walk;
  }

  private async pageData(
    source: SqlRowSource,
    resource: ReadableResource,
    query: ParsedQuery,
    keyset: KeysetRequest | undefined,
  ): Promise<PageData> {
    if (keyset !== undefined) return this.keysetPage(source, resource, query, keyset);
    const rows = await source.page(resource.schema, query);
    // The page is fetched with one row more than its size: that row only says a next page exists.
    const hasMore = rows.length > query.page.size;
    const page = hasMore ? rows.slice(0, query.page.size) : rows;
    return { items: await this.render(source, resource, page, query), hasMore };
  }

  /** A page's body: its items, and links and meta made from this request's URL. */
  private pageBody(
    resource: ReadableResource,
    query: ParsedQuery,
    context: ReadContext,
    data: PageData,
  ): PageBody {
    const { links, meta } =
      data.cursors === undefined
        ? paginate(context, query.page, data.items.length, data.hasMore === true)
        : cursorPaginate(context, query.page.size, data.cursors);
    return { [resource.schema.pluralKey]: data.items, links, meta };
  }

  /**
   * A cached page's body for this request: its items as stored, then `links` and `meta` made from
   * this request's URL, byte for byte what JSON.stringify makes of `pageBody`'s object.
   */
  private pageJson(query: ParsedQuery, context: ReadContext, page: CachedPage): Buffer {
    const { links, meta } =
      page.cursors === undefined
        ? paginate(context, query.page, page.count, page.hasMore === true)
        : cursorPaginate(context, query.page.size, page.cursors);
    const tail = `,"links":${JSON.stringify(links)},"meta":${JSON.stringify(meta)}}`;
    const json = Buffer.allocUnsafe(page.headLength + Buffer.byteLength(tail));
    page.json.copy(json, 0, 0, page.headLength);
    json.write(tail, page.headLength);
    return json;
  }

  /**
   * A keyset page: the rows after (or before) the cursor's position, one more than the page size
   * to learn whether the walk goes on; `links.next`/`prev` carry cursors made from the last/first
   * row. Going backwards, the rows come nearest-first and are put back in order.
   */
  private async keysetPage(
    source: SqlRowSource,
    resource: ReadableResource,
    query: ParsedQuery,
    keyset: KeysetRequest,
  ): Promise<PageData> {
    const size = query.page.size;
    const direction = keyset.position?.direction ?? 'after';
    const rows = await source.page(resource.schema, query, {
      direction,
      values: keyset.position?.values,
    });
    const hasMore = rows.length > size;
    const page = hasMore ? rows.slice(0, size) : rows;
    if (direction === 'before') page.reverse();
    const cursorAt = (row: RawRow | undefined, towards: CursorDirection): string | null =>
      row === undefined
        ? null
        : this.cursors.encode(keyset.binding, {
            direction: towards,
            values: keyset.terms.map((term) => cursorValue(row[term.column])),
          });
    const goesOn = (towards: CursorDirection): boolean =>
      // Ahead of the walk, the extra row says; behind it, there is the row the cursor was made at.
      towards === direction ? hasMore : keyset.position !== undefined;
    const next = goesOn('after') ? cursorAt(page.at(-1), 'after') : null;
    const prev = goesOn('before') ? cursorAt(page[0], 'before') : null;
    return { items: await this.render(source, resource, page, query), cursors: { prev, next } };
  }

  /** Raw rows rendered with `fields[...]` and their included arrays. */
  private async render(
    source: SqlRowSource,
    resource: ReadableResource,
    rows: RawRow[],
    query: ParsedQuery,
  ): Promise<RenderedResource[]> {
    const schema = resource.schema;
    const included =
      query.include.length === 0 || rows.length === 0
        ? []
        : await source.included(
            schema,
            query,
            rows.map((row) => row[schema.primaryKey] as number | string),
          );
    const renderRow = compileRenderer(
      schema,
      query.fields[schema.type],
      resource.computedFields?.(this.config),
    );
    const rendered = renderWithIncludes(rows, renderRow, schema.primaryKey, included, query.fields);
    if (schema.belongsTo === undefined || query.include.length === 0 || rows.length === 0) {
      return rendered;
    }
    const toOne = await source.belongsTo(schema, query, rows);
    const computed = resource.relatedComputedFields?.(this.config);
    return renderBelongsTo(rendered, rows, toOne, query.fields, computed);
  }
}
