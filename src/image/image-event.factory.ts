import { randomUUID } from 'node:crypto';
import type { EventImage } from '@image-api/client';
import { databaseNow, renderTimestamp } from '../database/timestamps';
import {
  IMAGE_EVENT_TYPES,
  type ImageEventData,
  type ImageEventType,
  type NewImageEvent,
} from '../events/image-event';
import type { StoredImageRow } from './image-write.transaction';
import { renderImage } from './image.serializer';

/** The image of an event: the default fields plus `deleted_at`. */
function renderEventImage(row: StoredImageRow, imageBaseUrl: string): EventImage {
  const image = { ...renderImage(row, imageBaseUrl), deleted_at: renderTimestamp(row.deleted_at) };
  return image as unknown as EventImage;
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
  let data: ImageEventData = { image: rendered };
  if (before !== undefined) {
    const previous = renderEventImage(before, imageBaseUrl);
    const changes: Record<string, unknown> = {};
    for (const field of ['path', 'facet'] as const) {
      if (previous[field] !== rendered[field]) {
        changes[field] = { before: previous[field], after: rendered[field] };
      }
    }
    data = { image: rendered, changes };
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
