import type { ImageQueryInput, ImageWriteBody } from '../microservice/image-message.contract';

export type {
  ImageQueryInput,
  ImageQueryParameters,
  ImageWriteBody,
} from '../microservice/image-message.contract';
export type { ImageEvent, ImageEventData, ImageEventType } from '../events/image-event';

export type ImageFacetName = 'Small Cover' | 'Cover' | 'Grill';

/**
 * An image as the API renders it (API.md section 3). With `fields[image]` only the listed fields
 * are present; included relations appear only when asked for with `include`.
 */
export interface ImageResource {
  image_id: number;
  path: string;
  facet: ImageFacetName;
  link: string;
  created_at: string;
  updated_at: string;
  deleted_at?: string | null;
  anime?: Record<string, unknown>[];
  artists?: Record<string, unknown>[];
  studios?: Record<string, unknown>[];
  playlists?: Record<string, unknown>[];
}

export interface ImageListReply {
  images: ImageResource[];
  links: { first: string; last: null; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    path: string;
    per_page: number;
    to: number | null;
  };
}

export interface ImageReply {
  image: ImageResource;
}

export interface MessageReply {
  message: string;
}

/** The operations of the Image API over a message transport, one per HTTP route. */
export interface ImageApi {
  list(query?: ImageQueryInput): Promise<ImageListReply>;
  show(id: number | string, query?: ImageQueryInput): Promise<ImageReply>;
  create(token: string, body: ImageWriteBody): Promise<ImageReply>;
  update(token: string, id: number | string, body: ImageWriteBody): Promise<ImageReply>;
  delete(token: string, id: number | string): Promise<ImageReply>;
  restore(token: string, id: number | string): Promise<ImageReply>;
  forceDelete(token: string, id: number | string): Promise<MessageReply>;
}
