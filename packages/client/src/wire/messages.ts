import type { RawQuery } from './query';
import type { ImageCreateBody, ImageUpdateBody } from './resources';
import type { MessageErrorReply } from './errors';

/**
 * The message patterns of the image routes (docs/microservice.md): one per HTTP route, replies
 * are the HTTP bodies. Over NATS a request goes to `<prefix><pattern>` (see `joinSubject`).
 */
export const IMAGE_MESSAGE_PATTERNS = {
  /** `GET /api/image` */
  list: 'image.list',
  /** `GET /api/image/:id` */
  show: 'image.show',
  /** `POST /api/image` */
  create: 'image.create',
  /** `PUT|PATCH /api/image/:id` */
  update: 'image.update',
  /** `DELETE /api/image/:id` */
  delete: 'image.delete',
  /** `PATCH /api/restore/image/:id` */
  restore: 'image.restore',
  /** `DELETE /api/forceDelete/image/:id` */
  forceDelete: 'image.forceDelete',
  // Issue 18 adds the pivot patterns (animeimage.*, artistimage.*, ...) here.
} as const;

export type ImageMessagePattern =
  (typeof IMAGE_MESSAGE_PATTERNS)[keyof typeof IMAGE_MESSAGE_PATTERNS];

/**
 * A query on the wire: the bracketed string form, or a nested object whose leaves are strings,
 * numbers or booleans (`{filter: {facet: 'Cover'}, page: {size: 5}}`); keys keep their order.
 */
export type WireQuery = RawQuery | WireQueryObject;
export interface WireQueryObject {
  [name: string]: string | number | boolean | WireQueryObject;
}

/** `image.list` */
export interface ListImagesMessage {
  query?: WireQuery;
}

/** `image.show` */
export interface ShowImageMessage {
  id: number | string;
  query?: WireQuery;
}

/**
 * `token` is the caller's JWT (as in `Authorization: Bearer <token>`, the `Bearer ` prefix may be
 * kept); it may travel in the NATS header `Authorization` instead.
 */
export interface CreateImageMessage {
  token?: string;
  body: ImageCreateBody;
}

export interface UpdateImageMessage {
  token?: string;
  id: number | string;
  body: ImageUpdateBody;
}

/** `image.delete`, `image.restore`, `image.forceDelete` */
export interface ImageIdMessage {
  token?: string;
  id: number | string;
}

/** Nest's request packet, the payload of a request over NATS and TCP. */
export interface RequestPacket<T = unknown> {
  id: string;
  pattern: string;
  data: T;
}

/** Nest's reply packet: `response` on success, `err` on failure. */
export interface ReplyPacket<T = unknown> {
  id: string;
  response?: T;
  err?: MessageErrorReply | string;
  isDisposed?: boolean;
}
