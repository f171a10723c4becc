import type { MessageResponse } from '@image-api/client';
import { Injectable } from '@nestjs/common';
import { ApiError, NotFoundError } from '../common/api-error';
import {
  ConditionalResult,
  entityTag,
  ifMatchMatches,
  ifNoneMatchMatches,
  isAnyTag,
} from '../common/entity-tag';
import { validateBody } from '../common/validate-body';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { readDataVersion } from '../database/change-versions';
import { databaseNow } from '../database/timestamps';
import { IMAGE_EVENT_TYPES, ImageEvent, imageEvent, ImageEventType } from '../events/image-event';
import { ImageEventNotifier } from '../events/image-event.notifier';
import type { IdempotencyClaim } from '../idempotency';
import {
  cursorBinding,
  CursorCodec,
  CursorDirection,
  CursorPosition,
  CursorValue,
} from '../query/cursor';
import { cursorSecretOf } from '../query/cursor-secret';
import {
  cursorPaginate,
  PageLinkContext,
  PageLinks,
  PageMeta,
  paginate,
} from '../query/pagination';
import { OrderTerm, orderTermsFor } from '../query/query-plan';
import { cursorlessQueryOf } from '../query/query.decorator';
import type { ParsedQuery } from '../query/query.types';
import { RawRow, RenderedResource, renderWithIncludes } from '../query/resource-renderer';
import type { RawReader } from '../query/typeorm/raw-reader';
import { CreateImageDto } from './dto/create-image.dto';
import { UpdateImageDto } from './dto/update-image.dto';
import { ImageFileCleanup } from './image-file-cleanup';
import { imageNotFoundMessage } from './image-id.pipe';
import {
  ImageChanges,
  ImageRepository,
  ImageWriteTransaction,
  StoredImageRow,
} from './image.repository';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';
import { compileImageRenderer, renderImage } from './image.serializer';

/**
 * Part of every entity tag: bump it when responses render differently for the same data (a new
 * field, another format), so that tags cached by clients stop matching.
 */
const REPRESENTATION_VERSION = '1';

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

export interface ImageResponse {
  image: Record<string, unknown>;
}

// `{message}` of force delete: the client package's wire type.
export type { MessageResponse };

export interface CreatedImage {
  id: number;
  response: ImageResponse;
}

export interface ImageListResponse {
  images: RenderedResource[];
  links: PageLinks;
  meta: PageMeta;
}

/**
 * The Image resource. Writes check, in the contract's order, that the image exists (404) before
 * they judge the body (422), so bodies arrive unvalidated and are validated here, inside the same
 * transaction that locked the row.
 */
@Injectable()
export class ImageService {
  private cursorCodec?: CursorCodec;
  private readonly keysetWalks = new WeakMap<ParsedQuery, KeysetWalk>();

  constructor(
    private readonly images: ImageRepository,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly events: ImageEventNotifier,
    private readonly files: ImageFileCleanup,
  ) {}

  /**
   * `GET /image`: one page of images with their included relations, `links` and `meta`. Takes a
   * validated query and where the list was asked for, so any transport can call it. With
   * `page[cursor]` the page is a keyset page (a bad cursor is a 422 at `page.cursor`).
   */
  async list(query: ParsedQuery, context: PageLinkContext): Promise<ImageListResponse> {
    const keyset = this.keysetRequestOf(query);
    return this.images.reading((reader) => this.readList(reader, query, context, keyset));
  }

  /**
   * `GET /image` over HTTP: the list with its entity tag, or only the tag (304) when `ifNoneMatch`
   * matches it, found without reading or rendering a row. `sort=random` has no tag.
   */
  async listIfChanged(
    query: ParsedQuery,
    context: PageLinkContext,
    ifNoneMatch: string | undefined,
  ): Promise<ConditionalResult<ImageListResponse>> {
    // A bad cursor is a 422 even for `If-None-Match: *`.
    const keyset = this.keysetRequestOf(query);
    // The tag and the page are read on one server (a replica or the primary).
    return this.images.reading(async (reader) => {
      if (query.sort[IMAGE_QUERY_SCHEMA.type] === 'random') {
        return ConditionalResult.modified(
          null,
          await this.readList(reader, query, context, keyset),
        );
      }
      // The links of a list repeat its query string as sent, so the tag covers it as sent.
      const tag = this.entityTagOf(
        await this.images.dataVersion(reader),
        `list\n${context.baseUrl}?${context.rawQuery}`,
      );
      if (ifNoneMatchMatches(ifNoneMatch, tag)) return ConditionalResult.notModified(tag);
      return ConditionalResult.modified(tag, await this.readList(reader, query, context, keyset));
    });
  }

  /** `GET /image/:id`: the image (even a soft-deleted one) with its included relations. */
  async show(id: number, query: ParsedQuery): Promise<ImageResponse> {
    return this.images.reading((reader) => this.readOne(reader, id, query));
  }

  /**
   * `GET /image/:id` over HTTP: the image with its entity tag, or only the tag (304). A tag is only
   * ever handed out with a 200, so a matching one proves the image existed at this data version and
   * still does; `If-None-Match: *` has no such proof and looks the image up (404 when missing).
   */
  async showIfChanged(
    id: number,
    query: ParsedQuery,
    rawQuery: string,
    ifNoneMatch: string | undefined,
  ): Promise<ConditionalResult<ImageResponse>> {
    return this.images.reading(async (reader) => {
      const version = await this.images.dataVersion(reader);
      const tag = this.entityTagOf(version, `show\n${id}?${rawQuery}`);
      const matches = ifNoneMatchMatches(ifNoneMatch, tag);
      if (matches && !isAnyTag(ifNoneMatch)) return ConditionalResult.notModified(tag);
      const response = await this.readOne(reader, id, query);
      return matches
        ? ConditionalResult.notModified(tag)
        : ConditionalResult.modified(tag, response);
    });
  }

  private async readOne(reader: RawReader, id: number, query: ParsedQuery): Promise<ImageResponse> {
    const row = await this.images.findOne(id, query, reader);
    if (row === undefined) throw new NotFoundError(imageNotFoundMessage(id));
    const [image] = await this.renderRead(reader, [row], query);
    return { image };
  }

  /**
   * The writes take the `sub` of the caller's token: the actor of their domain event. With an
   * `Idempotency-Key`, a retry gets the first answer and writes nothing (API.md section 10).
   */
  async create(
    body: unknown,
    actor: string,
    idempotency?: IdempotencyClaim,
  ): Promise<CreatedImage> {
    const input = await validateBody(CreateImageDto, body);
    try {
      return await this.write(async (transaction) => {
        const recorded = await idempotency?.recorded<CreatedImage>(transaction);
        if (recorded !== undefined) return recorded;
        const id = await transaction.insert(
          { path: input.path, facet: input.facet },
          databaseNow(),
        );
        const row = await this.reloadAndRecord(transaction, id, IMAGE_EVENT_TYPES.created, actor);
        const created = { id: row.image_id, response: this.render(row) };
        await idempotency?.record(transaction, created);
        return created;
      });
    } catch (error) {
      const recorded = await idempotency?.recordedMeanwhile<CreatedImage>(error);
      if (recorded === undefined) throw error;
      return recorded;
    }
  }

  /**
   * PUT and PATCH: `updated_at` moves only when a value actually changes. The writes take the
   * request's `If-Match` (none from the message transports): see `lockOrFail`.
   */
  async update(id: number, body: unknown, actor: string, ifMatch?: string): Promise<ImageResponse> {
    const row = await this.write(async (transaction) => {
      const current = await this.lockOrFail(transaction, id, { withTrashed: false }, ifMatch);
      const input = await validateBody(UpdateImageDto, body);
      const changes: ImageChanges = {};
      if (input.path !== undefined && input.path !== current.path) changes.path = input.path;
      if (input.facet !== undefined && input.facet !== current.facet) changes.facet = input.facet;
      if (Object.keys(changes).length === 0) return current;
      await transaction.update(id, { ...changes, updatedAt: databaseNow() });
      return this.reloadAndRecord(transaction, id, IMAGE_EVENT_TYPES.updated, actor, current);
    });
    return this.render(row);
  }

  /** Soft delete; an image already in the trash is 404. */
  async softDelete(id: number, actor: string, ifMatch?: string): Promise<ImageResponse> {
    const row = await this.write(async (transaction) => {
      await this.lockOrFail(transaction, id, { withTrashed: false }, ifMatch);
      const now = databaseNow();
      await transaction.update(id, { deletedAt: now, updatedAt: now });
      return this.reloadAndRecord(transaction, id, IMAGE_EVENT_TYPES.deleted, actor);
    });
    return this.render(row);
  }

  /** Takes an image out of the trash; restoring a live image changes nothing. */
  async restore(id: number, actor: string, ifMatch?: string): Promise<ImageResponse> {
    const row = await this.write(async (transaction) => {
      const current = await this.lockOrFail(transaction, id, { withTrashed: true }, ifMatch);
      if (current.deleted_at === null) return current;
      await transaction.update(id, { deletedAt: null, updatedAt: databaseNow() });
      return this.reloadAndRecord(transaction, id, IMAGE_EVENT_TYPES.restored, actor);
    });
    return this.render(row);
  }

  /** Removes a live or trashed image and its pivot rows for good; its file goes after the commit. */
  async forceDelete(id: number, actor: string, ifMatch?: string): Promise<MessageResponse> {
    const path = await this.write(async (transaction) => {
      const current = await this.lockOrFail(transaction, id, { withTrashed: true }, ifMatch);
      await transaction.deleteWithPivots(id);
      await this.files.schedule(transaction, current.path);
      await transaction.recordEvent(
        imageEvent(IMAGE_EVENT_TYPES.forceDeleted, actor, current, this.config.imageBaseUrl),
      );
      return current.path;
    });
    return { message: `Image '${path}' was deleted.` };
  }

  /**
   * The row, locked; 404 when missing. With `If-Match`, then 412 unless it is `*` or names the
   * ETag `GET /image/:id` (no query) would answer now: read after the lock, so no write to this
   * image can slip in between the check and the change.
   */
  private async lockOrFail(
    transaction: ImageWriteTransaction,
    id: number,
    options: { withTrashed: boolean },
    ifMatch?: string,
  ): Promise<StoredImageRow> {
    const row = await transaction.findForUpdate(id, options);
    if (row === null) throw new NotFoundError(imageNotFoundMessage(id));
    if (ifMatch !== undefined && !isAnyTag(ifMatch)) {
      const tag = this.entityTagOf(await readDataVersion(transaction), `show\n${id}?`);
      if (!ifMatchMatches(ifMatch, tag)) throw new ApiError(412, 'Precondition Failed.');
    }
    return row;
  }

  private async reload(transaction: ImageWriteTransaction, id: number): Promise<StoredImageRow> {
    return this.lockOrFail(transaction, id, { withTrashed: true });
  }

  /** The row after a change, with the change's domain event written to the outbox. */
  private async reloadAndRecord(
    transaction: ImageWriteTransaction,
    id: number,
    type: ImageEventType,
    actor: string,
    before?: StoredImageRow,
  ): Promise<StoredImageRow> {
    const row = await this.reload(transaction, id);
    await transaction.recordEvent(imageEvent(type, actor, row, this.config.imageBaseUrl, before));
    return row;
  }

  /**
   * `ImageRepository.write`, then, once the transaction has committed, its events go to the
   * in-process listeners (the outbox relay wakes up). A rolled-back write has no events.
   */
  private async write<T>(work: (transaction: ImageWriteTransaction) => Promise<T>): Promise<T> {
    let recorded: readonly ImageEvent[] = [];
    const result = await this.images.write(async (transaction) => {
      const value = await work(transaction);
      recorded = transaction.recordedEvents;
      return value;
    });
    this.events.committed(recorded);
    return result;
  }

  /**
   * The entity tag of a read: the data version (the change versions of the tables it renders from,
   * which the caller reads before any of its rows, so a write racing the read can only cost a
   * needless 200, never a stale 304), what was asked (`key`), and what else shapes the body (the
   * image base URL, the representation).
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
  private keysetRequestOf(query: ParsedQuery): KeysetRequest | undefined {
    const token = query.page.cursor;
    if (token === undefined) return undefined;
    const { terms, binding } = this.keysetWalkOf(query);
    if (token === '') return { terms, binding };
    return { terms, binding, position: this.cursors.decode(token, binding, terms.length) };
  }

  /**
   * The sort terms and the cursor binding of a keyset walk, worked out once per walk: every page of
   * it comes with the same cursorless query (`cursorlessQueryOf`), and neither depends on the cursor.
   */
  private keysetWalkOf(query: ParsedQuery): KeysetWalk {
    const walkQuery = cursorlessQueryOf(query);
    let walk = this.keysetWalks.get(walkQuery);
    if (walk === undefined) {
      const sort = walkQuery.sort[IMAGE_QUERY_SCHEMA.type];
      walk = {
        terms: orderTermsFor(IMAGE_QUERY_SCHEMA, sort === 'random' ? undefined : sort),
        binding: cursorBinding(IMAGE_QUERY_SCHEMA, walkQuery),
      };
      this.keysetWalks.set(walkQuery, walk);
    }
    return walk;
  }

  private async readList(
    reader: RawReader,
    query: ParsedQuery,
    context: PageLinkContext,
    keyset: KeysetRequest | undefined,
  ): Promise<ImageListResponse> {
    if (keyset !== undefined) return this.readKeysetPage(reader, query, context, keyset);
    const rows = await this.images.findPage(query, undefined, reader);
    // The page is fetched with one row more than its size: that row only says a next page exists.
    const hasMore = rows.length > query.page.size;
    const page = hasMore ? rows.slice(0, query.page.size) : rows;
    const { links, meta } = paginate(context, query.page, page.length, hasMore);
    return { images: await this.renderRead(reader, page, query), links, meta };
  }

  /**
   * A keyset page: the rows after (or before) the cursor's position, one more than the page size
   * to learn whether the walk goes on; `links.next`/`prev` carry cursors made from the last/first
   * row. Going backwards, the rows come nearest-first and are put back in order.
   */
  private async readKeysetPage(
    reader: RawReader,
    query: ParsedQuery,
    context: PageLinkContext,
    keyset: KeysetRequest,
  ): Promise<ImageListResponse> {
    const size = query.page.size;
    const direction = keyset.position?.direction ?? 'after';
    const rows = await this.images.findPage(
      query,
      { direction, values: keyset.position?.values },
      reader,
    );
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
    const { links, meta } = cursorPaginate(context, size, { prev, next });
    return { images: await this.renderRead(reader, page, query), links, meta };
  }

  /** Raw rows of the read path, rendered with `fields[...]` and their included arrays. */
  private async renderRead(
    reader: RawReader,
    rows: RawRow[],
    query: ParsedQuery,
  ): Promise<RenderedResource[]> {
    const included =
      query.include.length === 0 || rows.length === 0
        ? []
        : await this.images.findIncluded(
            query,
            rows.map((row) => row.image_id as number | string),
            reader,
          );
    const renderImageRow = compileImageRenderer(this.config.imageBaseUrl, query.fields.image);
    return renderWithIncludes(rows, renderImageRow, 'image_id', included, query.fields);
  }

  private render(row: StoredImageRow): ImageResponse {
    return { image: renderImage(row, this.config.imageBaseUrl) };
  }
}
