import { IMAGE_EVENT_TYPES, type ImageApiEvent, type ImageEventType } from '@image-api/client';

// The event types are the client package's (its wire types), so the two cannot drift.
export { IMAGE_EVENT_TYPES, type ImageEventType };

/** An event as it is published and handed to in-process listeners. */
export type ImageEvent = ImageApiEvent;

/** The image (every field, `deleted_at` too) and, for `image.updated`, the changed fields. */
export type ImageEventData = ImageEvent['data'];

/** The type of any event (an image's or a link's: `animeimage.attached`). */
export type DomainEventType = ImageEvent['type'];

/** An event as the service records it, before the outbox gives it its sequence. */
export interface NewImageEvent {
  readonly id: string;
  readonly type: DomainEventType;
  readonly imageId: number;
  readonly actor: string;
  /** A database timestamp (`2024-01-15 12:00:00.123456`). */
  readonly occurredAt: string;
  readonly data: ImageEventData;
}
