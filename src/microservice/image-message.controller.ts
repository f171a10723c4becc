import { Controller, UseFilters } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IMAGE_MESSAGE_PATTERNS as PATTERNS } from '@image-api/client';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Permission } from '../auth/permissions';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { comparableBody, idempotencyClaim } from '../idempotency';
import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import {
  ImageListResponse,
  ImageResponse,
  ImageService,
  MessageResponse,
} from '../image/image.service';
import { parseQuery } from '../query';
import { messageImageId } from './image-message.reader';
import {
  CheckedMessage,
  MessageIdempotencyKey,
  MessageIfMatch,
  MessageRoute,
  MessageUser,
} from './message-permission.guard';
import { messagePageLinkContext } from './message-links';
import { RpcExceptionsFilter } from './rpc-exceptions.filter';

type Message = Partial<Record<string, unknown>>;

/**
 * The image routes as message patterns, over whatever transports are listening. The guard reads
 * the envelope (400), then checks in the order of the routes: token (401), permission (403); then
 * the same service call as HTTP judges the id (404) and the query or body (422).
 */
@Controller()
@UseFilters(RpcExceptionsFilter)
export class ImageMessageController {
  constructor(
    private readonly images: ImageService,
    @InjectAppConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @MessageRoute(PATTERNS.list, { query: false })
  async list(@CheckedMessage() { query }: Message): Promise<ImageListResponse> {
    const parsed = parseQuery(query, IMAGE_QUERY_SCHEMA, 'index');
    const context = { ...messagePageLinkContext(this.config, query), entityTag: false };
    return (await this.images.list(parsed, context)).body as ImageListResponse;
  }

  /** As on HTTP, the query is judged before the id: an invalid query is 422 even for a missing id. */
  @MessageRoute(PATTERNS.show, { id: true, query: false })
  async show(@CheckedMessage() { id, query }: Message): Promise<ImageResponse> {
    const parsed = parseQuery(query, IMAGE_QUERY_SCHEMA, 'show');
    const context = { baseUrl: '', rawQuery: '', entityTag: false };
    return (await this.images.show(messageImageId(id), parsed, context)).body as ImageResponse;
  }

  /** With an `Idempotency-Key`, a retry (over either transport, or HTTP) gets the first answer. */
  @MessageRoute(
    PATTERNS.create,
    { token: false, body: false, idempotencyKey: false },
    { permissions: [Permission.CreateImage] },
  )
  async create(
    @CheckedMessage() { body }: Message,
    @MessageUser() user: AuthenticatedUser,
    @MessageIdempotencyKey() key: unknown,
  ): Promise<ImageResponse> {
    const claim = idempotencyClaim(
      this.dataSource,
      user.sub,
      key,
      'POST',
      `/${this.config.apiPrefix}/image`,
    );
    claim?.describe(comparableBody(body));
    return (await this.images.create(body, user.sub, claim)).response;
  }

  @MessageRoute(
    PATTERNS.update,
    { token: false, id: true, body: false, ifMatch: false },
    { permissions: [Permission.UpdateImage] },
  )
  async update(
    @CheckedMessage() { id, body }: Message,
    @MessageUser() user: AuthenticatedUser,
    @MessageIfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.update(messageImageId(id), body, user.sub, ifMatch);
  }

  @MessageRoute(
    PATTERNS.delete,
    { token: false, id: true, ifMatch: false },
    { permissions: [Permission.DeleteImage] },
  )
  async softDelete(
    @CheckedMessage() { id }: Message,
    @MessageUser() user: AuthenticatedUser,
    @MessageIfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.softDelete(messageImageId(id), user.sub, ifMatch);
  }

  @MessageRoute(
    PATTERNS.restore,
    { token: false, id: true, ifMatch: false },
    { permissions: [Permission.RestoreImage] },
  )
  async restore(
    @CheckedMessage() { id }: Message,
    @MessageUser() user: AuthenticatedUser,
    @MessageIfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.restore(messageImageId(id), user.sub, ifMatch);
  }

  @MessageRoute(
    PATTERNS.forceDelete,
    { token: false, id: true, ifMatch: false },
    { permissions: [Permission.ForceDeleteImage] },
  )
  async forceDelete(
    @CheckedMessage() { id }: Message,
    @MessageUser() user: AuthenticatedUser,
    @MessageIfMatch() ifMatch: string | undefined,
  ): Promise<MessageResponse> {
    return this.images.forceDelete(messageImageId(id), user.sub, ifMatch);
  }
}
