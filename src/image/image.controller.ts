import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Put,
  Req,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { Permission } from '../auth/permissions';
import { RequirePermission } from '../auth/require-permission.decorator';
import { ApiError } from '../common/api-error';
import { conditionalReply } from '../common/conditional-reply';
import { IfMatch } from '../common/if-match.decorator';
import { JsonBodyOnly } from '../common/json-body.guard';
import { apiBaseUrl } from '../common/public-url';
import { RateLimited } from '../rate-limit/rate-limit.guard';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { answeredIdempotently, IdempotencyClaim, IdempotencyOf } from '../idempotency';
import {
  ApiCreateImage,
  ApiDeleteImage,
  ApiListImages,
  ApiReplaceImage,
  ApiShowImage,
  ApiUpdateImage,
} from './image.openapi';
import { type ParsedQuery, type ReadContext, requestReadContext, ResourceQuery } from '../query';
import { ImageId } from './image-id.pipe';
import { ImageUploadService } from './image-upload.service';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';
import { ImageListResponse, ImageResponse, ImageService } from './image.service';

/**
 * `/api/image`. Write bodies are taken as they came and validated by the service, after the guard
 * (401, 403) and the lookup (404), as the contract orders the checks.
 */
@ApiTags('image')
@RateLimited()
@Controller('image')
export class ImageController {
  constructor(
    private readonly images: ImageService,
    private readonly uploads: ImageUploadService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** With an ETag; a matching If-None-Match is answered 304 without reading a row. */
  @Get()
  @ApiListImages()
  list(
    @ResourceQuery(IMAGE_QUERY_SCHEMA) query: ParsedQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImageListResponse | Buffer | undefined> {
    return conditionalReply(reply, this.images.list(query, this.readContext(request)));
  }

  /** The query is parsed before the id is judged: an invalid query is 422 even for a missing id. */
  @Get(':id')
  @ApiShowImage()
  show(
    @ResourceQuery(IMAGE_QUERY_SCHEMA, 'show') query: ParsedQuery,
    @ImageId() id: number,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImageResponse | Buffer | undefined> {
    return conditionalReply(reply, this.images.show(id, query, this.readContext(request)));
  }

  @Post()
  @HttpCode(201)
  @RequirePermission(Permission.CreateImage)
  @ApiCreateImage()
  async create(
    @Body() body: unknown,
    @CurrentUser() user: AuthenticatedUser,
    @IdempotencyOf() idempotency: IdempotencyClaim | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImageResponse> {
    // JSON `{path, facet}` (API.md section 5), or a file with its facet (section 12).
    const created = request.isMultipart()
      ? await this.uploads.create(request, user.sub, idempotency).catch((error: unknown) => {
          // Over the limit the client may still be sending: do not read the rest to keep the connection.
          if (error instanceof ApiError && error.getStatus() === 413) {
            void reply.header('Connection', 'close');
          }
          throw error;
        })
      : await this.images.create(body, user.sub, idempotency);
    void reply.header('location', `${apiBaseUrl(this.config, request)}/image/${created.id}`);
    answeredIdempotently(reply, idempotency);
    return created.response;
  }

  @Put(':id')
  @RequirePermission(Permission.UpdateImage)
  @JsonBodyOnly()
  @ApiReplaceImage()
  replace(
    @ImageId() id: number,
    @Body() body: unknown,
    @CurrentUser() user: AuthenticatedUser,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.update(id, body, user.sub, ifMatch);
  }

  @Patch(':id')
  @RequirePermission(Permission.UpdateImage)
  @JsonBodyOnly()
  @ApiUpdateImage()
  update(
    @ImageId() id: number,
    @Body() body: unknown,
    @CurrentUser() user: AuthenticatedUser,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.update(id, body, user.sub, ifMatch);
  }

  @Delete(':id')
  @RequirePermission(Permission.DeleteImage)
  @JsonBodyOnly()
  @ApiDeleteImage()
  softDelete(
    @ImageId() id: number,
    @CurrentUser() user: AuthenticatedUser,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.softDelete(id, user.sub, ifMatch);
  }

  private readContext(request: FastifyRequest): ReadContext {
    return requestReadContext(request, `${apiBaseUrl(this.config, request)}/image`);
  }
}
