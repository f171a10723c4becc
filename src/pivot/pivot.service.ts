import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../common/api-error';
import { validateBody } from '../common/validate-body';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { databaseNow, renderTimestamp } from '../database/timestamps';
import { randomUUID } from 'node:crypto';
import type { DomainEventType, NewImageEvent } from '../events/image-event';
import { ImageEventNotifier } from '../events/image-event.notifier';
import { comparableBody, type IdempotencyClaim } from '../idempotency';
import { imageIdOf } from '../image/image-id.pipe';
import { renderImage, type ImageRow } from '../image/image.serializer';
import type { ConditionalResult } from '../common/entity-tag';
import {
  compileRenderer,
  ResourceReader,
  type PageBody,
  type ParsedQuery,
  type RawRow,
  type ReadContext,
} from '../query';
import { DepthBody, EmptyPivotBody } from './pivot-body.dto';
import { DEPTH_COLUMN, PivotDefinition, PIVOT_IMAGE_COLUMN } from './pivot-definition';
import { LinkKey, PivotRepository, PivotRow, PivotWriteTransaction } from './pivot.repository';

/** `{"animeimage": {...}}`: one link. */
export type PivotResponse = Record<string, Record<string, unknown>>;

export interface MessageResponse {
  message: string;
}

/** The parent and the image a route names, as the path wrote them (judged by `linkTarget`). */
export interface LinkTarget {
  readonly parentKey: string;
  readonly imageId: number;
}

/** The longest public key a parent can have (`slug`, `hashid`: varchar(255) or less). */
const MAX_PARENT_KEY_LENGTH = 255;

/** Longer than a varchar(255) stores: counted in code points (an emoji is two UTF-16 units). */
function tooLongForKey(key: string): boolean {
  return key.length > MAX_PARENT_KEY_LENGTH && [...key].length > MAX_PARENT_KEY_LENGTH;
}

/**
 * The parent key and image id of a route: a key that can't be stored, or an image id that is not a
 * positive integer, names no link (404 "Not Found.", like a link that does not exist).
 */
export function linkTarget(parentKey: unknown, image: unknown): LinkTarget {
  const key = typeof parentKey === 'number' ? String(parentKey) : parentKey;
  const imageText = typeof image === 'number' ? String(image) : image;
  const imageId = typeof imageText === 'string' ? imageIdOf(imageText) : undefined;
  if (typeof key !== 'string' || key.length === 0 || tooLongForKey(key) || imageId === undefined) {
    throw new NotFoundError();
  }
  return { parentKey: key, imageId };
}

/** The two sides of a link, both live and visible. */
interface LinkSides {
  readonly parent: RawRow;
  readonly image: RawRow;
  readonly key: LinkKey;
}

type PivotChange = 'attached' | 'updated' | 'detached';

/**
 * Attach, depth changes and detach of every pivot resource, driven by its `PivotDefinition`. Checks
 * come in the contract's order after the guard's 401 and 403: both sides exist and are visible
 * (404), the body (422), the link's state (409 on attach, 404 on update and detach).
 */
@Injectable()
export class PivotService {
  constructor(
    private readonly reader: ResourceReader,
    private readonly links: PivotRepository,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly events: ImageEventNotifier,
  ) {}

  /** `GET /<pivot>`: a page of visible links with its entity tag, or only the tag (304). */
  list(
    pivot: PivotDefinition,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<PageBody>> {
    return this.reader.readPage(pivot.resource, query, context);
  }

  /** `GET /<pivot>/:parent/:image`: one visible link (404 `Not Found.` otherwise), or the tag (304). */
  show(
    pivot: PivotDefinition,
    target: LinkTarget,
    query: ParsedQuery,
    context: ReadContext,
  ): Promise<ConditionalResult<PivotResponse>> {
    const { schema, keyColumn } = pivot.parent;
    const key = {
      [`${schema.type}.${keyColumn}`]: target.parentKey,
      [PIVOT_IMAGE_COLUMN]: target.imageId,
    };
    return this.reader.readOne<PivotResponse>(pivot.resource, key, query, context);
  }

  /**
   * `POST /<pivot>/:parent/:image` → 201 with the link. With an `Idempotency-Key` (API.md section
   * 10), a retry of the same attach gets the first answer again and writes nothing. `claimOf`
   * gives the key's claim, asked for once both sides are found: a missing side is a 404 before
   * any 422 of the key (section 9's order), so a retry after a side went is a 404 too.
   */
  async attach(
    pivot: PivotDefinition,
    target: LinkTarget,
    body: unknown,
    actor: string,
    claimOf?: () => IdempotencyClaim | undefined,
  ): Promise<PivotResponse> {
    let idempotency: IdempotencyClaim | undefined;
    let link: PivotRow;
    try {
      link = await this.write(async (transaction) => {
        const sides = await this.findSides(transaction, pivot, target);
        idempotency = claimOf?.();
        // The key covers the link the path names, not only the body.
        idempotency?.describe({
          parent: target.parentKey,
          image: target.imageId,
          body: comparableBody(body),
        });
        const recorded = await idempotency?.recorded<PivotRow>(transaction.runner);
        if (recorded !== undefined) return recorded;
        const row = await this.insertLink(transaction, pivot, sides, body, actor);
        await idempotency?.record(transaction.runner, row);
        return row;
      });
    } catch (error) {
      const recorded = await idempotency?.recordedMeanwhile<PivotRow>(error);
      if (recorded === undefined) throw error;
      link = recorded;
    }
    return this.render(pivot, link);
  }

  /** The checks and the insert of an attach, in its transaction, once both sides are found. */
  private async insertLink(
    transaction: PivotWriteTransaction,
    pivot: PivotDefinition,
    sides: LinkSides,
    body: unknown,
    actor: string,
  ): Promise<PivotRow> {
    const input = await validateBody(pivot.depth ? DepthBody : EmptyPivotBody, body);
    const now = databaseNow();
    const row: PivotRow = {
      [pivot.parentColumn]: sides.key.parentId,
      [PIVOT_IMAGE_COLUMN]: sides.key.imageId,
      ...(pivot.depth ? { [DEPTH_COLUMN]: (input as DepthBody).depth ?? null } : {}),
      created_at: now,
      updated_at: now,
    };
    // The look-up answers the common repeat; the unique key answers a racing attach.
    const exists =
      (await transaction.findLink(pivot, sides.key, { forUpdate: false })) !== undefined;
    if (exists || !(await transaction.insertLink(pivot, row))) {
      throw new ConflictError(
        `Image '${String(sides.image.path)}' is already attached to ${pivot.parent.label} '${String(sides.parent.name)}'.`,
      );
    }
    await transaction.recordEvent(this.event(pivot, 'attached', actor, now, row, sides));
    return row;
  }

  /** `PATCH /artistimage/:artist/:image` with `{depth}`: `updated_at` moves only on a change. */
  async update(
    pivot: PivotDefinition,
    target: LinkTarget,
    body: unknown,
    actor: string,
  ): Promise<PivotResponse> {
    const link = await this.write(async (transaction) => {
      const sides = await this.findSides(transaction, pivot, target);
      const current = await this.findLinkOrFail(transaction, pivot, sides);
      const input = await validateBody(DepthBody, body);
      const depth = input.depth;
      if (depth === undefined || depth === toNumberOrNull(current[DEPTH_COLUMN])) return current;
      const now = databaseNow();
      await transaction.updateLink(pivot, sides.key, { [DEPTH_COLUMN]: depth, updated_at: now });
      const row: PivotRow = { ...current, [DEPTH_COLUMN]: depth, updated_at: now };
      const changes = {
        [DEPTH_COLUMN]: { before: toNumberOrNull(current[DEPTH_COLUMN]), after: depth },
      };
      await transaction.recordEvent(
        this.event(pivot, 'updated', actor, now, row, sides, { changes }),
      );
      return row;
    });
    return this.render(pivot, link);
  }

  /** `DELETE /<pivot>/:parent/:image` → 200 with a message. */
  async detach(
    pivot: PivotDefinition,
    target: LinkTarget,
    actor: string,
  ): Promise<MessageResponse> {
    const message = await this.write(async (transaction) => {
      const sides = await this.findSides(transaction, pivot, target);
      const current = await this.findLinkOrFail(transaction, pivot, sides);
      await transaction.deleteLink(pivot, sides.key);
      await transaction.recordEvent(
        this.event(pivot, 'detached', actor, databaseNow(), current, sides),
      );
      return `Image '${String(sides.image.path)}' has been detached from ${pivot.parent.label} '${String(sides.parent.name)}'.`;
    });
    return { message };
  }

  /** Both sides, live and visible (a private playlist is as missing as a trashed image): or 404. */
  private async findSides(
    transaction: PivotWriteTransaction,
    pivot: PivotDefinition,
    target: LinkTarget,
  ): Promise<LinkSides> {
    const parent = await transaction.findParent(pivot, target.parentKey);
    const image = parent === undefined ? undefined : await transaction.findImage(target.imageId);
    if (parent === undefined || image === undefined) throw new NotFoundError();
    return {
      parent,
      image,
      key: { parentId: Number(parent[pivot.parent.schema.primaryKey]), imageId: target.imageId },
    };
  }

  private async findLinkOrFail(
    transaction: PivotWriteTransaction,
    pivot: PivotDefinition,
    sides: LinkSides,
  ): Promise<PivotRow> {
    const link = await transaction.findLink(pivot, sides.key, { forUpdate: true });
    if (link === undefined) throw new NotFoundError();
    return link;
  }

  /**
   * The domain event of a link change: the link (as it is after the change; as it was, when
   * detached), its parent and its image as the API renders them.
   */
  private event(
    pivot: PivotDefinition,
    change: PivotChange,
    actor: string,
    now: string,
    link: PivotRow,
    sides: LinkSides,
    extra: Record<string, unknown> = {},
  ): NewImageEvent {
    const image = renderImage(sides.image as unknown as ImageRow, this.config.imageBaseUrl);
    const data = {
      [pivot.name]: compileRenderer(pivot.schema, undefined)(link),
      [pivot.parent.schema.type]: compileRenderer(pivot.parent.schema, undefined)(sides.parent),
      image: { ...image, deleted_at: renderTimestamp(sides.image.deleted_at as string | null) },
      ...extra,
    };
    return {
      id: randomUUID(),
      // The wire types (`PivotEvent` of @image-api/client) spell these out per pivot.
      type: `${pivot.name}.${change}` as DomainEventType,
      imageId: sides.key.imageId,
      actor,
      occurredAt: now,
      data: data as unknown as NewImageEvent['data'],
    };
  }

  private render(pivot: PivotDefinition, link: PivotRow): PivotResponse {
    return { [pivot.name]: compileRenderer(pivot.schema, undefined)(link) };
  }

  /** The one transaction of a pivot write (the unit of work's); events reach listeners after it. */
  private write<T>(work: (transaction: PivotWriteTransaction) => Promise<T>): Promise<T> {
    return this.links.write(work);
  }
}

function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
