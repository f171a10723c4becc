import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Req,
  Res,
  Type,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { RequirePermission } from '../auth/require-permission.decorator';
import { JsonBodyOnly } from '../common/json-body.guard';
import { conditionalReply } from '../common/conditional-reply';
import { apiBaseUrl, urlPathSegment } from '../common/public-url';
import { RateLimited } from '../rate-limit/rate-limit.guard';
import { answeredIdempotently, LateIdempotencyClaim, LateIdempotencyOf } from '../idempotency';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import {
  requestReadContext,
  ResourceQuery,
  type PageBody,
  type ParsedQuery,
  type ReadContext,
} from '../query';
import type { PivotDefinition } from './pivot-definition';
import { ApiAttach, ApiDetach, ApiListLinks, ApiShowLink, ApiUpdateLink } from './pivot.openapi';
import { linkTarget, MessageResponse, PivotResponse, PivotService } from './pivot.service';

/** `anime` + `image` → `AnimeImageController`, for logs and stack traces. */
function className(pivot: PivotDefinition): string {
  const parent = pivot.parent.schema.type;
  return `${parent.charAt(0).toUpperCase()}${parent.slice(1)}ImageController`;
}

/**
 * The HTTP routes of one pivot resource, `/<pivot>/:<parent>/:image` (API.md section 9): attach,
 * detach, and for a pivot with `depth` the PATCH that changes it. Each handler hands the path's
 * keys to `PivotService`, which judges them after the guard (401, 403).
 */
export function pivotController(pivot: PivotDefinition): Type {
  const parentParam = pivot.parent.schema.type;
  const linkPath = `:${parentParam}/:image`;

  @ApiTags(pivot.name)
  @RateLimited()
  @Controller(pivot.name)
  class LinkController {
    constructor(
      readonly links: PivotService,
      @InjectAppConfig() readonly config: AppConfig,
    ) {}

    /** With an ETag; a matching If-None-Match is answered 304 without reading a row. */
    @Get()
    @ApiListLinks(pivot)
    list(
      @ResourceQuery(pivot.schema) query: ParsedQuery,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<PageBody | Buffer | undefined> {
      return conditionalReply(reply, this.links.list(pivot, query, this.readContext(request)));
    }

    /** The query is judged (422) before the link (404). */
    @Get(linkPath)
    @ApiShowLink(pivot)
    show(
      @ResourceQuery(pivot.schema, 'show') query: ParsedQuery,
      @Param(parentParam) parent: string,
      @Param('image') image: string,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<PivotResponse | Buffer | undefined> {
      const target = linkTarget(parent, image);
      return conditionalReply(
        reply,
        this.links.show(pivot, target, query, this.readContext(request)),
      );
    }

    @Post(linkPath)
    @HttpCode(201)
    @RequirePermission(...pivot.permissions.attach)
    @JsonBodyOnly()
    @ApiAttach(pivot)
    async attach(
      @Param(parentParam) parent: string,
      @Param('image') image: string,
      @Body() body: unknown,
      @CurrentUser() user: AuthenticatedUser,
      @LateIdempotencyOf() idempotency: LateIdempotencyClaim,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<PivotResponse> {
      const target = linkTarget(parent, image);
      const response = await this.links.attach(pivot, target, body, user.sub, idempotency);
      const location = `${apiBaseUrl(this.config, request)}/${pivot.name}/${urlPathSegment(target.parentKey)}/${target.imageId}`;
      void reply.header('location', location);
      answeredIdempotently(reply, idempotency());
      return response;
    }

    /** `depth` of artistimage; a route only for pivots with columns of their own (below). */
    update(
      @Param(parentParam) parent: string,
      @Param('image') image: string,
      @Body() body: unknown,
      @CurrentUser() user: AuthenticatedUser,
    ): Promise<PivotResponse> {
      return this.links.update(pivot, linkTarget(parent, image), body, user.sub);
    }

    @Delete(linkPath)
    @RequirePermission(...pivot.permissions.detach)
    @JsonBodyOnly()
    @ApiDetach(pivot)
    detach(
      @Param(parentParam) parent: string,
      @Param('image') image: string,
      @CurrentUser() user: AuthenticatedUser,
    ): Promise<MessageResponse> {
      return this.links.detach(pivot, linkTarget(parent, image), user.sub);
    }

    readContext(request: FastifyRequest): ReadContext {
      return requestReadContext(request, `${apiBaseUrl(this.config, request)}/${pivot.name}`);
    }
  }

  if (pivot.depth) {
    const descriptor = Object.getOwnPropertyDescriptor(LinkController.prototype, 'update');
    if (descriptor === undefined) throw new Error('LinkController.update is missing');
    applyDecorators(
      Patch(linkPath),
      RequirePermission(...pivot.permissions.update),
      JsonBodyOnly(),
      ApiUpdateLink(pivot),
    )(LinkController.prototype, 'update', descriptor);
  }
  Object.defineProperty(LinkController, 'name', { value: className(pivot) });
  return LinkController;
}
