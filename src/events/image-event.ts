import { randomUUID } from 'node:crypto';
import { databaseNow, renderTimestamp } from '../database/timestamps';
import type { StoredImageRow } from '../image/image.repository';
import { renderImage } from '../image/image.serializer';

/** The domain events of the Image resource (docs/microservice.md). */
export const IMAGE_EVENT_TYPES = {
  created: 'image.created',
  updated: 'image.updated',
  deleted: 'image.deleted',
  restored: 'image.restored',
  forceDeleted: 'image.force_deleted',
} as const;

export type ImageEventType = (typeof IMAGE_EVENT_TYPES)[keyof typeof IMAGE_EVENT_TYPES];

/** One changed field of `image.updated`, as the API renders it. */
export interface ImageFieldChange {
  before: unknown;
  after: unknown;
}

export interface ImageEventData {
  /**
   * The image with every field (`deleted_at` too) as the API renders it: after the change, or as it
   * was when it was force-deleted.
   */
  image: Record<string, unknown>;
  /** `image.updated` only: the fields the write changed (`path`, `facet`), before and after. */
  changes?: Record<string, ImageFieldChange>;
}

/** An event as it is published and handed to in-process listeners. */
export interface ImageEvent {
  /** A UUID; the JetStream message id, so that a consumer (and JetStream) can drop duplicates. */
  id: string;
  type: ImageEventType;
  /** The outbox row id: grows with commit order for any one image. */
  sequence: number;
  image_id: number;
  /** The `sub` of the token that made the change. */
  actor: string;
  /** When the change was made: `2024-01-15T12:00:00.123456Z`. */
  occurred_at: string;
  data: ImageEventData;
}

/** An event as the service records it, before the outbox gives it its sequence. */
export interface NewImageEvent {
  readonly id: string;
  readonly type: ImageEventType;
  readonly imageId: number;
  readonly actor: string;
  /** A database timestamp (`2024-01-15 12:00:00.123456`). */
  readonly occurredAt: string;
  readonly data: ImageEventData;
}

/** The subjects below which events are published: `images.events.<type without "image.">`. */
export const IMAGE_EVENT_SUBJECT_ROOT = 'images.events';

/** `image.force_deleted` → `<prefix>images.events.force_deleted`. */
export function imageEventSubject(subjectPrefix: string, type: ImageEventType): string {
  return `${subjectPrefix}${IMAGE_EVENT_SUBJECT_ROOT}.${type.slice('image.'.length)}`;
}

/** The image of an event: the default fields plus `deleted_at`. */
function renderEventImage(row: StoredImageRow, imageBaseUrl: string): Record<string, unknown> {
  return { ...renderImage(row, imageBaseUrl), deleted_at: renderTimestamp(row.deleted_at) };
}

/** When the event's change was made, from the row's own timestamps where the write set one. */
function occurredAt(type: ImageEventType, row: StoredImageRow): string {
  switch (type) {
    case IMAGE_EVENT_TYPES.created:
      return row.created_at;
    case IMAGE_EVENT_TYPES.deleted:
      return row.deleted_at ?? row.updated_at;
    case IMAGE_EVENT_TYPES.forceDeleted:
      return databaseNow();
    default:
      return row.updated_at;
  }
}

/**
 * The event of a write: `image` is the row after the change (as it was, for force delete);
 * `before` (updates) is the row before it, for the changed fields.
 */
export function imageEvent(
  type: ImageEventType,
  actor: string,
  image: StoredImageRow,
  imageBaseUrl: string,
  before?: StoredImageRow,
): NewImageEvent {
  const rendered = renderEventImage(image, imageBaseUrl);
  const data: ImageEventData = { image: rendered };
  if (before !== undefined) {
    const previous = renderEventImage(before, imageBaseUrl);
    data.changes = {};
    for (const field of ['path', 'facet']) {
      if (previous[field] !== rendered[field]) {
        data.changes[field] = { before: previous[field], after: rendered[field] };
      }
    }
  }
  return {
    id: randomUUID(),
    type,
    imageId: image.image_id,
    actor,
    occurredAt: occurredAt(type, image),
    data,
  };
}
