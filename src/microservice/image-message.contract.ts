/**
 * The wire contract of the image message patterns (docs/microservice.md), shared by the listener
 * and the typed client. Each pattern mirrors one HTTP route; replies are the HTTP bodies.
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
} as const;

export type ImageMessagePattern =
  (typeof IMAGE_MESSAGE_PATTERNS)[keyof typeof IMAGE_MESSAGE_PATTERNS];

type ParameterValue = string | number | boolean;

/**
 * The query parameters of a URL as a nested object: `{filter: {facet: 'Cover'}, page: {size: 5}}`
 * is `filter[facet]=Cover&page[size]=5`. Keys keep their order (filters fold left to right).
 */
export interface ImageQueryParameters {
  include?: string;
  fields?: Partial<Record<'image' | 'anime' | 'artist' | 'studio' | 'playlist', string>>;
  filter?: Record<string, ParameterValue | Record<string, ParameterValue>>;
  sort?: string | Partial<Record<'image' | 'anime' | 'artist' | 'studio' | 'playlist', string>>;
  page?: { size?: number | string; number?: number | string };
}

/** A query as an object, or in the bracketed string form of a URL (`include=anime&page[size]=5`). */
export type ImageQueryInput = ImageQueryParameters | string;

/** `image.list` */
export interface ListImagesMessage {
  query?: ImageQueryInput;
}

/** `image.show` */
export interface ShowImageMessage {
  id: number | string;
  query?: ImageQueryInput;
}

/** The body of create and update, as on HTTP (`facet` by name or 0, 1, 2). */
export interface ImageWriteBody {
  path?: string;
  facet?: string | number;
}

/** `image.create`: the caller's JWT (as in `Authorization: Bearer <token>`) and the body. */
export interface CreateImageMessage {
  token: string;
  body: ImageWriteBody;
}

/** `image.update` */
export interface UpdateImageMessage {
  token: string;
  id: number | string;
  body: ImageWriteBody;
}

/** `image.delete`, `image.restore`, `image.forceDelete` */
export interface ImageIdMessage {
  token: string;
  id: number | string;
}

/** What a failed request answers with: the HTTP status and error body. */
export interface MessageErrorReply {
  status: number;
  message: string;
  errors?: Record<string, string[]>;
}
