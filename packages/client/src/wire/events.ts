import type { PivotLinks, PivotName, PivotParents, PivotParentType, PIVOTS } from './pivots';
import type { ImageFacetName, Timestamp } from './resources';

/** The domain events of the Image resource (docs/microservice.md). */
export const IMAGE_EVENT_TYPES = {
  created: 'image.created',
  updated: 'image.updated',
  deleted: 'image.deleted',
  restored: 'image.restored',
  forceDeleted: 'image.force_deleted',
} as const;

export type ImageEventType = (typeof IMAGE_EVENT_TYPES)[keyof typeof IMAGE_EVENT_TYPES];

/** The image of an event: the default fields and `deleted_at`, as the API renders them. */
export interface EventImage {
  image_id: number;
  path: string;
  facet: ImageFacetName;
  link: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

/** One changed field of `image.updated`, as rendered before and after the write. */
export interface FieldChange<T> {
  before: T;
  after: T;
}

/** The fields an update changed (only those). */
export interface ImageChanges {
  path?: FieldChange<string>;
  facet?: FieldChange<ImageFacetName>;
}

interface ImageEventOf<Type extends ImageEventType, Data> {
  /** A UUID, also the JetStream message id: consumers drop ids they have applied. */
  id: string;
  type: Type;
  /** Grows with commit order for any one image. */
  sequence: number;
  image_id: number;
  /** The `sub` of the token that made the change. */
  actor: string;
  /** When the change was made: `2024-01-15T12:00:00.123456Z`. */
  occurred_at: Timestamp;
  data: Data;
}

/** `POST /api/image`: the new image. */
export type ImageCreatedEvent = ImageEventOf<'image.created', { image: EventImage }>;
/** An update that changed something: the image after it and the changed fields. */
export type ImageUpdatedEvent = ImageEventOf<
  'image.updated',
  { image: EventImage; changes: ImageChanges }
>;
/** A soft delete: the image with `deleted_at`. */
export type ImageDeletedEvent = ImageEventOf<'image.deleted', { image: EventImage }>;
/** A restore of a trashed image: `deleted_at` is null again. */
export type ImageRestoredEvent = ImageEventOf<'image.restored', { image: EventImage }>;
/** A force delete: the image as it was before it was removed. */
export type ImageForceDeletedEvent = ImageEventOf<'image.force_deleted', { image: EventImage }>;

/** An image event; `switch (event.type)` narrows `data`. */
export type ImageEvent =
  | ImageCreatedEvent
  | ImageUpdatedEvent
  | ImageDeletedEvent
  | ImageRestoredEvent
  | ImageForceDeletedEvent;

/** The events of the links (API.md section 9): `animeimage.attached`, `artistimage.updated`... */
export type PivotEventType = `${PivotName}.${'attached' | 'detached'}` | 'artistimage.updated';

/**
 * The data of a link's event: the link (as it is after the change; as it was, when detached),
 * its parent with default fields and its image (with `deleted_at`).
 */
export type PivotEventData<P extends PivotName> = { [K in P]: PivotLinks[P] } & {
  [K in PivotParentType & (typeof PIVOTS)[P]['parent']]: PivotParents[P];
} & { image: EventImage };

type PivotEventOf<P extends PivotName, Change extends string, Extra = unknown> = Omit<
  ImageEventOf<ImageEventType, PivotEventData<P> & Extra>,
  'type'
> & { type: `${P}.${Change}` };

/** An attach or a detach of any pivot; a depth change of artistimage (with `changes.depth`). */
export type PivotEvent =
  | { [P in PivotName]: PivotEventOf<P, 'attached' | 'detached'> }[PivotName]
  | PivotEventOf<'artistimage', 'updated', { changes: { depth: FieldChange<number | null> } }>;

/** Every event the service publishes: the image events and the link events. */
export type ImageApiEvent = ImageEvent | PivotEvent;
