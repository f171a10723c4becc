import { Controller, Type, UseFilters } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { idempotencyClaim } from '../idempotency';
import { messagePageLinkContext } from '../microservice/message-links';
import {
  CheckedMessage,
  MessageIdempotencyKey,
  MessageRoute,
  MessageUser,
} from '../microservice/message-permission.guard';
import { RpcExceptionsFilter } from '../microservice/rpc-exceptions.filter';
import { parseQuery, type PageBody } from '../query';
import type { PivotDefinition } from './pivot-definition';
import { linkTarget, MessageResponse, PivotResponse, PivotService } from './pivot.service';

type Message = Partial<Record<string, unknown>>;

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
 * The routes of one pivot as message patterns, with HTTP's checks in HTTP's order: the guard reads
 * the envelope (400), the token (401) and the permissions of the HTTP route (403), then the service
 * judges the rest (404, 422, 409). A message names the link as the path does:
 * `{token, anime: 'cowboy_bebop', image: 1, body}`.
 */
export function pivotMessageController(pivot: PivotDefinition): Type {
  const patterns = pivotMessagePatterns(pivot);
  const parent = pivot.parent.schema.type;
  const keys = [parent, 'image'];
  const { permissions } = pivot;

  @Controller()
  @UseFilters(RpcExceptionsFilter)
  class LinkMessageController {
    constructor(
      readonly links: PivotService,
      @InjectAppConfig() readonly config: AppConfig,
      @InjectDataSource() readonly dataSource: DataSource,
    ) {}

    @MessageRoute(patterns.list, { query: false })
    async list(@CheckedMessage() { query }: Message): Promise<PageBody> {
      const parsed = parseQuery(query, pivot.schema, 'index');
      const context = messagePageLinkContext(this.config, query, pivot.name);
      return (await this.links.list(pivot, parsed, { ...context, entityTag: false }))
        .body as PageBody;
    }

    /** As on HTTP, the query is judged before the link: an invalid query is 422 even for a missing one. */
    @MessageRoute(patterns.show, { [parent]: true, image: true, query: false }, { keys })
    async show(@CheckedMessage() message: Message): Promise<PivotResponse> {
      const parsed = parseQuery(message.query, pivot.schema, 'show');
      const target = linkTarget(message[parent], message.image);
      const context = { baseUrl: '', rawQuery: '', entityTag: false };
      return (await this.links.show(pivot, target, parsed, context)).body as PivotResponse;
    }

    /** With an `Idempotency-Key`, a retry (over either transport, or HTTP) gets the first answer. */
    @MessageRoute(
      patterns.attach,
      { token: false, [parent]: true, image: true, body: false, idempotencyKey: false },
      { permissions: permissions.attach, keys },
    )
    async attach(
      @CheckedMessage() message: Message,
      @MessageUser() user: AuthenticatedUser,
      @MessageIdempotencyKey() key: unknown,
    ): Promise<PivotResponse> {
      const target = linkTarget(message[parent], message.image);
      // Made once both sides are found, as on HTTP: a missing side is a 404 before the key's 422.
      const claimOf = () =>
        idempotencyClaim(
          this.dataSource,
          user.sub,
          key,
          'POST',
          `/${this.config.apiPrefix}/${pivot.name}/:${parent}/:image`,
        );
      return this.links.attach(pivot, target, message.body, user.sub, claimOf);
    }

    @MessageRoute(
      patterns.detach,
      { token: false, [parent]: true, image: true },
      { permissions: permissions.detach, keys },
    )
    async detach(
      @CheckedMessage() message: Message,
      @MessageUser() user: AuthenticatedUser,
    ): Promise<MessageResponse> {
      return this.links.detach(pivot, linkTarget(message[parent], message.image), user.sub);
    }
  }

  class UpdatableLinkMessageController extends LinkMessageController {
    @MessageRoute(
      patterns.update,
      { token: false, [parent]: true, image: true, body: false },
      { permissions: permissions.update, keys },
    )
    async update(
      @CheckedMessage() message: Message,
      @MessageUser() user: AuthenticatedUser,
    ): Promise<PivotResponse> {
      const target = linkTarget(message[parent], message.image);
      return this.links.update(pivot, target, message.body, user.sub);
    }
  }

  const controller = pivot.depth ? UpdatableLinkMessageController : LinkMessageController;
  Object.defineProperty(controller, 'name', {
    value: `${parent.charAt(0).toUpperCase()}${parent.slice(1)}ImageMessageController`,
  });
  return controller;
}
