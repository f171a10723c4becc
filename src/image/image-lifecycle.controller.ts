import { Controller, Delete, Patch } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { Permission } from '../auth/permissions';
import { RequirePermission } from '../auth/require-permission.decorator';
import { IfMatch } from '../common/if-match.decorator';
import { JsonBodyOnly } from '../common/json-body.guard';
import { RateLimited } from '../rate-limit/rate-limit.guard';
import { ApiForceDeleteImage, ApiRestoreImage } from './image.openapi';
import { ImageId } from './image-id.pipe';
import { ImageResponse, ImageService, MessageResponse } from './image.service';

/**
 * Restore and force delete under `API_PREFIX`; `ImageAliasModule` serves the same handlers without
 * the prefix, because the seed spells these routes that way.
 */
@ApiTags('image')
@RateLimited()
@Controller()
export class ImageLifecycleController {
  constructor(private readonly images: ImageService) {}

  @Patch('restore/image/:id')
  @RequirePermission(Permission.RestoreImage)
  @JsonBodyOnly()
  @ApiRestoreImage()
  restore(
    @ImageId() id: number,
    @CurrentUser() user: AuthenticatedUser,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<ImageResponse> {
    return this.images.restore(id, user.sub, ifMatch);
  }

  @Delete('forceDelete/image/:id')
  @RequirePermission(Permission.ForceDeleteImage)
  @JsonBodyOnly()
  @ApiForceDeleteImage()
  forceDelete(
    @ImageId() id: number,
    @CurrentUser() user: AuthenticatedUser,
    @IfMatch() ifMatch: string | undefined,
  ): Promise<MessageResponse> {
    return this.images.forceDelete(id, user.sub, ifMatch);
  }
}
