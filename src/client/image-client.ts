import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import {
  IMAGE_MESSAGE_PATTERNS as PATTERNS,
  ImageMessagePattern,
  ImageQueryInput,
  ImageWriteBody,
} from '../microservice/image-message.contract';
import { toImageClientError } from './image-client.error';
import type { ImageApi, ImageListReply, ImageReply, MessageReply } from './image-client.types';

/** The part of a Nest `ClientProxy` (ClientTCP, ClientNats...) the client uses. */
export type ImageTransportClient = Pick<ClientProxy, 'send' | 'close'>;

/** How long a call waits for its reply unless the module is told otherwise. */
export const DEFAULT_IMAGE_CLIENT_TIMEOUT_MS = 10_000;

/**
 * The Image API over a message transport (TCP or NATS), for another NestJS service: one method
 * per HTTP route, the same bodies back, and failures as `ImageClientError` (the API's status,
 * `message` and `errors`) or `ImageClientUnavailableError` (no answer).
 */
@Injectable()
export class ImageClient implements ImageApi, OnModuleDestroy {
  constructor(
    private readonly proxy: ImageTransportClient,
    private readonly timeoutMs: number = DEFAULT_IMAGE_CLIENT_TIMEOUT_MS,
  ) {}

  /** `GET /api/image`: the query as an object (`{filter: {facet: 'Cover'}}`) or a query string. */
  list(query?: ImageQueryInput): Promise<ImageListReply> {
    return this.send(PATTERNS.list, query === undefined ? {} : { query });
  }

  /** `GET /api/image/:id` */
  show(id: number | string, query?: ImageQueryInput): Promise<ImageReply> {
    return this.send(PATTERNS.show, query === undefined ? { id } : { id, query });
  }

  /** `POST /api/image` with the caller's JWT. */
  create(token: string, body: ImageWriteBody): Promise<ImageReply> {
    return this.send(PATTERNS.create, { token, body });
  }

  /** `PATCH /api/image/:id` */
  update(token: string, id: number | string, body: ImageWriteBody): Promise<ImageReply> {
    return this.send(PATTERNS.update, { token, id, body });
  }

  /** `DELETE /api/image/:id` (soft delete) */
  delete(token: string, id: number | string): Promise<ImageReply> {
    return this.send(PATTERNS.delete, { token, id });
  }

  /** `PATCH /api/restore/image/:id` */
  restore(token: string, id: number | string): Promise<ImageReply> {
    return this.send(PATTERNS.restore, { token, id });
  }

  /** `DELETE /api/forceDelete/image/:id` */
  forceDelete(token: string, id: number | string): Promise<MessageReply> {
    return this.send(PATTERNS.forceDelete, { token, id });
  }

  /** Closes the connection (done for you when the Nest application closes). */
  async close(): Promise<void> {
    await this.proxy.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  private async send<T>(pattern: ImageMessagePattern, message: object): Promise<T> {
    try {
      return await firstValueFrom(
        this.proxy.send<T, object>(pattern, message).pipe(timeout(this.timeoutMs)),
      );
    } catch (error) {
      throw toImageClientError(error);
    }
  }
}
