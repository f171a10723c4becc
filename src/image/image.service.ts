import type { MessageResponse } from '@image-api/client';
import { Injectable } from '@nestjs/common';
import { ApiError, NotFoundError } from '../common/api-error';
import { type ConditionalResult, ifMatchMatches, isAnyTag } from '../common/entity-tag';
import { validateBody } from '../common/validate-body';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { readDataVersion } from '../database/change-versions';
import { databaseNow, renderTimestamp } from '../database/timestamps';
import { UnitOfWork } from '../database/unit-of-work';
import { IMAGE_EVENT_TYPES, ImageEventType } from '../events/image-event';
import { ImageEventNotifier } from '../events/image-event.notifier';
import type { IdempotencyClaim } from '../idempotency';
import {
  type PageLinks,
  type PageMeta,
  type ParsedQuery,
  type ReadContext,
  type RenderedResource,
  ResourceReader,
} from '../query';
import { CreateImageDto } from './dto/create-image.dto';
import { UpdateImageDto } from './dto/update-image.dto';
import { imageEvent } from './image-event.factory';
import { ImageFileCleanup } from './image-file-cleanup';
import { imageNotFoundMessage } from './image-id.pipe';
import { ImageChanges, ImageWriteTransaction, StoredImageRow } from './image-write.transaction';
import { IMAGE_RESOURCE } from './image.resource';
import { renderImage } from './image.serializer';

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
  constructor(
    private readonly reader: ResourceReader,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly events: ImageEventNotifier,
    private readonly unitOfWork: UnitOfWork,
    private readonly files: ImageFileCleanup,
  ) {}

  /** `GET /image`: a page of images with its entity tag, or only the tag (304). */
  list(query: ParsedQuery, context: ReadContext): Promise<ConditionalResult<ImageListResponse>> {
    return this.reader.readPage<ImageListResponse>(IMAGE_RESOURCE, query, context);
  }

  /** `GET /image/:id`: the image (even a soft-deleted one), or only the tag (304). */
  show(
    id: number,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<ImageResponse>> {
    return this.reader.readOne<ImageResponse>(IMAGE_RESOURCE, id, query, context);
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
        const recorded = await idempotency?.recorded<CreatedImage>(transaction.unit);
        if (recorded !== undefined) return recorded;
        const id = await transaction.insert(
          { path: input.path, facet: input.facet },
          databaseNow(),
        );
        // An uploaded file's guard goes with the row that names it (ImageFileCleanup.guard), and
        // so does a removal still waiting for a file at this path.
        await this.files.claim(transaction.unit, input.path);
        const row = await this.reloadAndRecord(transaction, id, IMAGE_EVENT_TYPES.created, actor);
        const created = { id: row.image_id, response: this.render(row) };
        await idempotency?.record(transaction.unit, created);
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
      if (changes.path !== undefined) await this.files.claim(transaction.unit, changes.path);
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
      await this.remove(transaction, current, actor);
      return current.path;
    });
    return { message: `Image '${path}' was deleted.` };
  }

  /**
   * The prune's force delete: only while the image is still in the trash, put there before
   * `cutoff` (a database timestamp), judged on the locked row, since a restore can win the race
   * between the prune's read of old trash and this write. False when it no longer is, or is gone.
   */
  async forceDeleteTrashedBefore(id: number, cutoff: string, actor: string): Promise<boolean> {
    return this.write(async (transaction) => {
      const current = await transaction.findForUpdate(id, { withTrashed: true });
      const deletedAt = renderTimestamp(current?.deleted_at);
      if (current === null || deletedAt === null || deletedAt >= renderTimestamp(cutoff)!) {
        return false;
      }
      await this.remove(transaction, current, actor);
      return true;
    });
  }

  /** Removes the locked row with its links; its file goes after the commit, with an event. */
  private async remove(
    transaction: ImageWriteTransaction,
    current: StoredImageRow,
    actor: string,
  ): Promise<void> {
    await transaction.deleteWithPivots(current.image_id);
    await this.files.schedule(transaction.unit, current.path);
    await this.events.record(
      transaction.unit,
      imageEvent(IMAGE_EVENT_TYPES.forceDeleted, actor, current, this.config.imageBaseUrl),
    );
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
      const tag = this.reader.itemTag(
        IMAGE_RESOURCE,
        id,
        '',
        await readDataVersion(transaction.unit),
      );
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
    await this.events.record(
      transaction.unit,
      imageEvent(type, actor, row, this.config.imageBaseUrl, before),
    );
    return row;
  }

  /** A unit-of-work transaction; its events reach the in-process listeners after the commit. */
  private write<T>(work: (transaction: ImageWriteTransaction) => Promise<T>): Promise<T> {
    return this.unitOfWork.run((transaction) => work(new ImageWriteTransaction(transaction)));
  }

  private render(row: StoredImageRow): ImageResponse {
    return { image: renderImage(row, this.config.imageBaseUrl) };
  }
}
