import { Controller, Type, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { assertPermission } from '../auth/authorize';
import { TokenVerifier } from '../auth/token-verifier';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { messagePageLinkContext } from '../microservice/message-links';
import { parseQuery, type PageBody } from '../query';
import { readMessage } from '../microservice/image-message.reader';
import { messageToken } from '../microservice/message-permission.guard';
import { RpcExceptionsFilter } from '../microservice/rpc-exceptions.filter';
import type { PivotDefinition } from './pivot-definition';
import { linkTarget, MessageResponse, PivotResponse, PivotService } from './pivot.service';

/**
 * The message patterns of a pivot: `<pivot>.list`, `.show`, `.attach`, `.detach`, `.update`
 * (docs/microservice.md).
 */
export function pivotMessagePatterns(pivot: PivotDefinition) {
  return {
    list: `${pivot.name}.list`,
    show: `${pivot.name}.show`,
    attach: `${pivot.name}.attach`,
    update: `${pivot.name}.update`,
    detach: `${pivot.name}.detach`,
  } as const;
}

/**
 * The routes of one pivot as message patterns, with HTTP's checks in HTTP's order: the envelope
 * (400), the token (401), the permissions (403), then the service (404, 422, 409). A message names
 * the link as the path does: `{token, anime: 'cowboy_bebop', image: 1, body}`.
 */
export function pivotMessageController(pivot: PivotDefinition): Type {
  const patterns = pivotMessagePatterns(pivot);
  const parent = pivot.parent.schema.type;
  const keys = [parent, 'image'];

  @Controller()
  @UseFilters(RpcExceptionsFilter)
  class LinkMessageController {
    constructor(
      readonly links: PivotService,
      readonly tokens: TokenVerifier,
      @InjectAppConfig() readonly config: AppConfig,
    ) {}

    @MessagePattern(patterns.list)
    async list(@Payload() payload: unknown): Promise<PageBody> {
      const { query } = readMessage(payload, patterns.list, { query: false });
      const parsed = parseQuery(query, pivot.schema, 'index');
      const context = messagePageLinkContext(this.config, query, pivot.name);
      return (await this.links.list(pivot, parsed, { ...context, entityTag: false }))
        .body as PageBody;
    }

    /** As on HTTP, the query is judged before the link: an invalid query is 422 even for a missing one. */
    @MessagePattern(patterns.show)
    async show(@Payload() payload: unknown): Promise<PivotResponse> {
      const fields = { [parent]: true, image: true, query: false };
      const message = readMessage(payload, patterns.show, fields, keys);
      const parsed = parseQuery(message.query, pivot.schema, 'show');
      const target = linkTarget(message[parent], message.image);
      const context = { baseUrl: '', rawQuery: '', entityTag: false };
      return (await this.links.show(pivot, target, parsed, context)).body as PivotResponse;
    }

    @MessagePattern(patterns.attach)
    async attach(@Payload() payload: unknown, @Ctx() transport: object): Promise<PivotResponse> {
      const fields = { token: false, [parent]: true, image: true, body: false };
      const message = readMessage(payload, patterns.attach, fields, keys);
      const user = await this.authorize(transport, message.token, pivot.permissions.attach);
      const target = linkTarget(message[parent], message.image);
      return this.links.attach(pivot, target, message.body, user.sub);
    }

    @MessagePattern(patterns.detach)
    async detach(@Payload() payload: unknown, @Ctx() transport: object): Promise<MessageResponse> {
      const fields = { token: false, [parent]: true, image: true };
      const message = readMessage(payload, patterns.detach, fields, keys);
      const user = await this.authorize(transport, message.token, pivot.permissions.detach);
      return this.links.detach(pivot, linkTarget(message[parent], message.image), user.sub);
    }

    /** The message guard's token reading (NATS header first) and the verifier HTTP uses. */
    async authorize(
      transport: object,
      token: unknown,
      permissions: readonly string[],
    ): Promise<AuthenticatedUser> {
      const user = await this.tokens.authenticate(messageToken(transport, token));
      assertPermission(user, permissions);
      return user;
    }
  }

  class UpdatableLinkMessageController extends LinkMessageController {
    @MessagePattern(patterns.update)
    async update(@Payload() payload: unknown, @Ctx() transport: object): Promise<PivotResponse> {
      const fields = { token: false, [parent]: true, image: true, body: false };
      const message = readMessage(payload, patterns.update, fields, keys);
      const user = await this.authorize(transport, message.token, pivot.permissions.update);
      return this.links.update(
        pivot,
        linkTarget(message[parent], message.image),
        message.body,
        user.sub,
      );
    }
  }

  const controller = pivot.depth ? UpdatableLinkMessageController : LinkMessageController;
  Object.defineProperty(controller, 'name', {
    value: `${parent.charAt(0).toUpperCase()}${parent.slice(1)}ImageMessageController`,
  });
  return controller;
}
