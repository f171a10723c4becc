import { Controller, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ImageLifecycleController } from './image-lifecycle.controller';
import { ImageModule } from './image.module';

/**
 * The same handlers, guards and service as `ImageLifecycleController`; a subclass only so that the
 * OpenAPI document gets distinct operation ids for the two spellings.
 */
@Controller()
export class ImageLifecycleAliasController extends ImageLifecycleController {}

/**
 * `/restore/image/:id` and `/forceDelete/image/:id` without `API_PREFIX` (the seed's spelling),
 * registered outside the RouterModule.
 */
@Module({
  imports: [AuthModule, ImageModule],
  controllers: [ImageLifecycleAliasController],
})
export class ImageAliasModule {}
