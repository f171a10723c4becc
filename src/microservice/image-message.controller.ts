import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IMAGE_MESSAGE_PATTERNS as PATTERNS } from '@image-api/client';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { assertPermission } from '../auth/authorize';
import { Permission } from '../auth/permissions';
import { TokenVerifier } from '../auth/token-verifier';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import {
  ImageListResponse,
  ImageResponse,
  ImageService,
  MessageResponse,
} from '../image/image.service';
import { parseQuery } from '../query';
import { messageImageId, messageToken, readMessage } from './image-message.reader';
import { messagePageLinkContext } from './message-links';
import { RpcExceptionsFilter } from './rpc-exceptions.filter';

/**
 * The image routes as message patterns, over whatever transports are listening. Each handler reads
 * its envelope (400), then checks in the order of the routes: token (401), permission (403), then
 * the same service call as HTTP, which judges the id (404) and the query or body (422).
 */
@Controller()
@UseFilters(RpcExceptionsFilter)
export class ImageMessageController {
  constructor(
    private readonly images: ImageService,
    private readonly tokens: TokenVerifier,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  @MessagePattern(PATTERNS.list)
  async list(@Payload() payload: unknown): Promise<ImageListResponse> {
    const { query } = readMessage(payload, PATTERNS.list, { query: false });
    const parsed = parseQuery(query, IMAGE_QUERY_SCHEMA, 'index');
    const context = { ...messagePageLinkContext(this.config, query), entityTag: false };
    return (await this.images.list(parsed, context)).body as ImageListResponse;
  }

  /** As on HTTP, the query is judged before the id: an invalid query is 422 even for a missing id. */
  @MessagePattern(PATTERNS.show)
  async show(@Payload() payload: unknown): Promise<ImageResponse> {
    const { id, query } = readMessage(payload, PATTERNS.show, { id: true, query: false });
    const parsed = parseQuery(query, IMAGE_QUERY_SCHEMA, 'show');
    const context = { baseUrl: '', rawQuery: '', entityTag: false };
    return (await this.images.show(messageImageId(id), parsed, context)).body as ImageResponse;
  }

  @MessagePattern(PATTERNS.create)
  async create(@Payload() payload: unknown): Promise<ImageResponse> {
    const message = readMessage(payload, PATTERNS.create, { token: false, body: false });
    const user = await this.authorize(message.token, Permission.CreateImage);
    return (await this.images.create(message.body, user.sub)).response;
  }

  @MessagePattern(PATTERNS.update)
  async update(@Payload() payload: unknown): Promise<ImageResponse> {
    const message = readMessage(payload, PATTERNS.update, { token: false, id: true, body: false });
    const user = await this.authorize(message.token, Permission.UpdateImage);
    return this.images.update(messageImageId(message.id), message.body, user.sub);
  }

  @MessagePattern(PATTERNS.delete)
  async softDelete(@Payload() payload: unknown): Promise<ImageResponse> {
    const message = readMessage(payload, PATTERNS.delete, { token: false, id: true });
    const user = await this.authorize(message.token, Permission.DeleteImage);
    return this.images.softDelete(messageImageId(message.id), user.sub);
  }

  @MessagePattern(PATTERNS.restore)
  async restore(@Payload() payload: unknown): Promise<ImageResponse> {
    const message = readMessage(payload, PATTERNS.restore, { token: false, id: true });
    const user = await this.authorize(message.token, Permission.RestoreImage);
    return this.images.restore(messageImageId(message.id), user.sub);
  }

  @MessagePattern(PATTERNS.forceDelete)
  async forceDelete(@Payload() payload: unknown): Promise<MessageResponse> {
    const message = readMessage(payload, PATTERNS.forceDelete, { token: false, id: true });
    const user = await this.authorize(message.token, Permission.ForceDeleteImage);
    return this.images.forceDelete(messageImageId(message.id), user.sub);
  }

  /** The token verification and permission check of the HTTP write routes (401, then 403). */
  private async authorize(token: unknown, permission: Permission): Promise<AuthenticatedUser> {
    const user = await this.tokens.authenticate(messageToken(token));
    assertPermission(user, permission);
    return user;
  }
}
