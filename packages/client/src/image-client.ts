import { toWireQuery } from './query-serializer';
import { NatsConnectionKeeper, NatsConnectionOptions } from './transport/nats-connection';
import { NatsTransport } from './transport/nats.transport';
import { TcpTransport, TcpTransportOptions } from './transport/tcp.transport';
import type { ImageTransport } from './transport/transport';
import { IMAGE_MESSAGE_PATTERNS as PATTERNS, ImageMessagePattern } from './wire/messages';
import type { ImageListQuery, ImageShowQuery, RawQuery } from './wire/query';
import type {
  ImageCreateBody,
  ImageListResponse,
  ImageResponse,
  ImageUpdateBody,
  MessageResponse,
} from './wire/resources';
import { normalizeSubjectPrefix } from './wire/subjects';

/** How long a call waits for its reply unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

interface CommonOptions {
  /** Milliseconds a call waits for its reply before a 504 (default 10 000). */
  readonly timeoutMs?: number;
}

/** The Image API over NATS (its `NATS_URL`). */
export interface ImageClientNatsOptions extends CommonOptions, NatsConnectionOptions {
  readonly transport?: 'nats';
  /**
   * The service's `NATS_SUBJECT_PREFIX` (`staging` or `staging.`: the same prefix, see
   * `joinSubject`); none by default.
   */
  readonly subjectPrefix?: string;
}

/** The Image API over its TCP listener (`MICROSERVICE_PORT`), without a broker. */
export interface ImageClientTcpOptions extends CommonOptions, TcpTransportOptions {
  readonly transport: 'tcp';
}

export type ImageClientOptions = ImageClientNatsOptions | ImageClientTcpOptions;

/** Options of one call. */
export interface CallOptions {
  /** This call's timeout instead of the client's. */
  readonly timeoutMs?: number;
}

/**
 * The Image API over a message transport: one method per HTTP route, the same bodies back, and
 * failures as `ImageClientError` (the API's status, `message` and `errors`) or
 * `ImageClientUnavailableError` (no answer: 503 unreachable, 504 timeout). Connects on first use
 * and stays connected through broker outages; `close()` when done.
 */
export class ImageClient {
  private readonly transport: ImageTransport;
  private readonly timeoutMs: number;

  constructor(options: ImageClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.transport === 'tcp') {
      this.transport = new TcpTransport(options);
    } else {
      const keeper = new NatsConnectionKeeper(options, 'image-api-client');
      this.transport = new NatsTransport(
        keeper,
        normalizeSubjectPrefix(options.subjectPrefix),
        true,
      );
    }
  }

  /** `GET /api/image`: a typed query (`{filter: {facet: 'Cover'}}`) or a raw query string. */
  list(query?: ImageListQuery | RawQuery, options?: CallOptions): Promise<ImageListResponse> {
    return this.send(
      PATTERNS.list,
      query === undefined ? {} : { query: toWireQuery(query) },
      options,
    );
  }

  /** `GET /api/image/:id` */
  show(
    id: number | string,
    query?: ImageShowQuery | RawQuery,
    options?: CallOptions,
  ): Promise<ImageResponse> {
    return this.send(
      PATTERNS.show,
      query === undefined ? { id } : { id, query: toWireQuery(query) },
      options,
    );
  }

  /** `POST /api/image` with the caller's JWT (`Bearer ` optional). */
  create(token: string, body: ImageCreateBody, options?: CallOptions): Promise<ImageResponse> {
    return this.send(PATTERNS.create, { token, body }, options);
  }

  /** `PATCH /api/image/:id` */
  update(
    token: string,
    id: number | string,
    body: ImageUpdateBody,
    options?: CallOptions,
  ): Promise<ImageResponse> {
    return this.send(PATTERNS.update, { token, id, body }, options);
  }

  /** `DELETE /api/image/:id` (soft delete) */
  delete(token: string, id: number | string, options?: CallOptions): Promise<ImageResponse> {
    return this.send(PATTERNS.delete, { token, id }, options);
  }

  /** `PATCH /api/restore/image/:id` */
  restore(token: string, id: number | string, options?: CallOptions): Promise<ImageResponse> {
    return this.send(PATTERNS.restore, { token, id }, options);
  }

  /** `DELETE /api/forceDelete/image/:id`: `{message: "Image '<path>' was deleted."}` */
  forceDelete(token: string, id: number | string, options?: CallOptions): Promise<MessageResponse> {
    return this.send(PATTERNS.forceDelete, { token, id }, options);
  }

  // Issue 18: attach, detach and depth changes of the pivot resources go here.

  /** Closes the connection; calls fail afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }

  /** Nest calls this when the application closes (see `@image-api/client/nest`). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private send<T>(pattern: ImageMessagePattern, data: object, options?: CallOptions): Promise<T> {
    return this.transport.request<T>(pattern, data, {
      timeoutMs: options?.timeoutMs ?? this.timeoutMs,
    });
  }
}

/** A client for the options (the same as `new ImageClient(options)`). */
export function createImageClient(options: ImageClientOptions): ImageClient {
  return new ImageClient(options);
}
