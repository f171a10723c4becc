import { ImageClientError } from './errors';
import { toWireQuery } from './query-serializer';
import { NatsConnectionKeeper, NatsConnectionOptions } from './transport/nats-connection';
import { NatsTransport } from './transport/nats.transport';
import { TcpTransport, TcpTransportOptions } from './transport/tcp.transport';
import type { ImageTransport } from './transport/transport';
import { IMAGE_MESSAGE_PATTERNS as PATTERNS, ImageMessagePattern } from './wire/messages';
import {
  DepthBody,
  PivotAttachBody,
  PivotMessagePattern,
  pivotMessagePattern,
  PivotListResponse,
  PivotName,
  PivotResponse,
  PivotShowResponse,
  PIVOTS,
} from './wire/pivots';
import type { WireQueryObject } from './wire/messages';
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

/** The options of a create or an attach. */
export interface IdempotentCallOptions extends CallOptions {
  /**
   * `Idempotency-Key` (1–255 printable ASCII): a retry with the same key and body, by the same
   * token `sub`, within 24 h, gets the first answer and writes nothing (over HTTP too).
   */
  readonly idempotencyKey?: string;
}

/** The options of an image update, delete, restore or force delete. */
export interface ConditionalCallOptions extends CallOptions {
  /**
   * `If-Match`: the `ETag` of `GET /api/image/:id` (no query) that you read, a comma list of them,
   * or `*`. The write happens only while it is still current, else `ImageClientError` 412 and
   * nothing changes (checked after the 404).
   */
  readonly ifMatch?: string;
}

/** The message with the `idempotencyKey` and `ifMatch` fields the call's options carry. */
function withOptionFields(
  data: object,
  options?: Partial<IdempotentCallOptions & ConditionalCallOptions>,
): object {
  const { idempotencyKey, ifMatch } = options ?? {};
  return {
    ...data,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(ifMatch === undefined ? {} : { ifMatch }),
  };
}

/**
 * The Image API over a message transport: one method per HTTP route, the same bodies back, and
 * failures as `ImageClientError` (the API's status, `message` and `errors`) or
 * `ImageClientUnavailableError` (no answer: 503 unreachable, 504 timeout). Connects on first use
 * and stays connected through broker outages; `close()` when done. A write's JWT travels in the
 * NATS header `Authorization` (out of the payload); over TCP, which has no headers, as `token`.
 */
export class ImageClient {
  private readonly transport: ImageTransport;
  private readonly timeoutMs: number;
  private readonly tokenInHeader: boolean;

  constructor(options: ImageClientOptions) {
    checkOptions(options);
    this.timeoutMs = checkedTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.tokenInHeader = options.transport !== 'tcp';
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
  async list(query?: ImageListQuery | RawQuery, options?: CallOptions): Promise<ImageListResponse> {
    return this.send(PATTERNS.list, query == null ? {} : { query: toWireQuery(query) }, options);
  }

  /** `GET /api/image/:id` */
  async show(
    id: number | string,
    query?: ImageShowQuery | RawQuery,
    options?: CallOptions,
  ): Promise<ImageResponse> {
    return this.send(
      PATTERNS.show,
      query == null ? { id } : { id, query: toWireQuery(query) },
      options,
    );
  }

  /** `POST /api/image` with the caller's JWT (`Bearer ` optional). */
  async create(
    token: string,
    body: ImageCreateBody,
    options?: IdempotentCallOptions,
  ): Promise<ImageResponse> {
    return this.write(PATTERNS.create, token, withOptionFields({ body }, options), options);
  }

  /** `PATCH /api/image/:id` */
  async update(
    token: string,
    id: number | string,
    body: ImageUpdateBody,
    options?: ConditionalCallOptions,
  ): Promise<ImageResponse> {
    return this.write(PATTERNS.update, token, withOptionFields({ id, body }, options), options);
  }

  /** `DELETE /api/image/:id` (soft delete) */
  async delete(
    token: string,
    id: number | string,
    options?: ConditionalCallOptions,
  ): Promise<ImageResponse> {
    return this.write(PATTERNS.delete, token, withOptionFields({ id }, options), options);
  }

  /** `PATCH /api/restore/image/:id` */
  async restore(
    token: string,
    id: number | string,
    options?: ConditionalCallOptions,
  ): Promise<ImageResponse> {
    return this.write(PATTERNS.restore, token, withOptionFields({ id }, options), options);
  }

  /** `DELETE /api/forceDelete/image/:id`: `{message: "Image '<path>' was deleted."}` */
  async forceDelete(
    token: string,
    id: number | string,
    options?: ConditionalCallOptions,
  ): Promise<MessageResponse> {
    return this.write(PATTERNS.forceDelete, token, withOptionFields({ id }, options), options);
  }

  /**
   * `GET /api/<pivot>`: a page of links (`'animeimage'`...), with the query of a list
   * (`{include: 'anime,image', filter: {image: {facet: 'Cover'}}}` or a raw string).
   */
  async listLinks<P extends PivotName>(
    pivot: P,
    query?: RawQuery | WireQueryObject,
    options?: CallOptions,
  ): Promise<PivotListResponse<P>> {
    const pattern = pivotMessagePattern(checkedPivot(pivot), 'list');
    return this.send(pattern, query == null ? {} : { query }, options);
  }

  /**
   * `GET /api/<pivot>/:parent/:image`: one link (404 when it is missing or hidden), with its
   * parent and image when included (`{include: 'studio,image'}`).
   */
  async showLink<P extends PivotName>(
    pivot: P,
    parent: string,
    image: number | string,
    query?: RawQuery | WireQueryObject,
    options?: CallOptions,
  ): Promise<PivotShowResponse<P>> {
    const link = linkOf(pivot, parent, image);
    const pattern = pivotMessagePattern(pivot, 'show');
    return this.send(pattern, query == null ? link : { ...link, query }, options);
  }

  /**
   * `POST /api/<pivot>/:parent/:image`: links an image to an anime, artist, studio or playlist,
   * named by its `slug` (`hashid` for playlists). A 409 when they are linked already.
   */
  async attach<P extends PivotName>(
    token: string,
    pivot: P,
    parent: string,
    image: number | string,
    body?: P extends 'artistimage' ? PivotAttachBody : Record<string, never>,
    options?: IdempotentCallOptions,
  ): Promise<PivotResponse<P>> {
    const link = linkOf(pivot, parent, image);
    return this.write(
      pivotMessagePattern(pivot, 'attach'),
      token,
      withOptionFields(body === undefined ? link : { ...link, body }, options),
      options,
    );
  }

  /** `PATCH /api/artistimage/:artist/:image`: sets the link's `depth`. */
  async updateDepth(
    token: string,
    artist: string,
    image: number | string,
    body: DepthBody,
    options?: CallOptions,
  ): Promise<PivotResponse<'artistimage'>> {
    return this.write('artistimage.update', token, { artist, image, body }, options);
  }

  /** `DELETE /api/<pivot>/:parent/:image`: `{message: "Image '<path>' has been detached from ..."}` */
  async detach(
    token: string,
    pivot: PivotName,
    parent: string,
    image: number | string,
    options?: CallOptions,
  ): Promise<MessageResponse> {
    const link = linkOf(pivot, parent, image);
    return this.write(pivotMessagePattern(pivot, 'detach'), token, link, options);
  }

  /** Closes the connection; calls fail afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }

  /** Nest calls this when the application closes (see `@image-api/client/nest`). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private async send<T>(
    pattern: ImageMessagePattern | PivotMessagePattern,
    data: object,
    options?: CallOptions,
    headers?: Record<string, string>,
  ): Promise<T> {
    return this.transport.request<T>(pattern, data, {
      timeoutMs: checkedTimeout(options?.timeoutMs ?? this.timeoutMs),
      ...(headers === undefined ? {} : { headers }),
    });
  }

  /** A write with the caller's JWT: in the `Authorization` header over NATS, else in the message. */
  private write<T>(
    pattern: ImageMessagePattern | PivotMessagePattern,
    token: string,
    data: object,
    options?: CallOptions,
  ): Promise<T> {
    // No token: sent without one, for the service to answer 401 as HTTP does.
    if (typeof token !== 'string' || token === '') return this.send(pattern, data, options);
    if (!this.tokenInHeader) return this.send(pattern, { token, ...data }, options);
    const authorization = token.startsWith('Bearer ') ? token : `Bearer ${token}`;
    return this.send(pattern, data, options, { Authorization: authorization });
  }
}

/** The longest timer Node keeps (it fires a longer one at once, after 1 ms). */
const LONGEST_TIMEOUT_MS = 2_147_483_647;

/**
 * The options a client cannot work with, refused with a `TypeError` (from plain JavaScript: a typo
 * in `transport` connected to NATS' default address, a `servers` number failed every call as an
 * outage that `retry()` repeated; found by a probe).
 */
function checkOptions(options: ImageClientOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError("ImageClient takes its options: { transport: 'tcp', port } or NATS ones");
  }
  const { transport } = options as { transport?: unknown };
  if (transport !== undefined && transport !== 'nats' && transport !== 'tcp') {
    throw new TypeError(`transport must be 'nats' or 'tcp' (got ${quoted(transport)})`);
  }
  if (transport === 'tcp') {
    const { port } = options as { port?: unknown };
    if (!(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535)) {
      throw new TypeError(`port must be an integer from 1 to 65535 (got ${quoted(port)})`);
    }
    return;
  }
  const servers = (options as ImageClientNatsOptions).nats?.servers as unknown;
  const isName = (server: unknown) => typeof server === 'string';
  if (
    servers !== undefined &&
    !isName(servers) &&
    !(Array.isArray(servers) && servers.every(isName))
  ) {
    throw new TypeError(`nats.servers must be a string or strings (got ${quoted(servers)})`);
  }
}

/** A value as an error message repeats it: strings in quotes, so `"1000"` is not read as a number. */
function quoted(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * A timeout must be some milliseconds that a timer can hold: 0, a negative number, NaN or more
 * than about 24.8 days is the caller's mistake.
 */
function checkedTimeout(timeoutMs: number): number {
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= LONGEST_TIMEOUT_MS)) {
    throw new RangeError(
      `timeoutMs must be a positive number of milliseconds, at most ${LONGEST_TIMEOUT_MS} (got ${quoted(timeoutMs)})`,
    );
  }
  return timeoutMs;
}

/** A client for the options (the same as `new ImageClient(options)`). */
export function createImageClient(options: ImageClientOptions): ImageClient {
  return new ImageClient(options);
}

/**
 * The message fields naming a link. A pivot name the types do not know (from plain JavaScript) is
 * the 404 its route would be, not a TypeError.
 */
function linkOf(pivot: string, parent: string, image: number | string): Record<string, unknown> {
  return { [PIVOTS[checkedPivot(pivot)].parent]: parent, image };
}

/**
 * A pivot name the types do not know (from plain JavaScript) is the 404 its route would be. It
 * becomes part of a NATS subject, so nothing else may pass (a space or a line break in a subject
 * breaks or injects into the protocol).
 */
function checkedPivot(pivot: string): PivotName {
  if (!Object.hasOwn(PIVOTS, pivot)) {
    throw new ImageClientError(
      404,
      `There is no pivot resource "${pivot}": use ${Object.keys(PIVOTS).join(', ')}.`,
    );
  }
  return pivot as PivotName;
}
