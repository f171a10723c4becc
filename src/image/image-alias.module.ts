import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ImageLifecycleController } from './image-lifecycle.controller';
import { ImageModule } from './image.module';

/**
 * `/restore/image/:id` and `/forceDelete/image/:id` without `API_PREFIX` (the seed's spelling):
 * the same controller and service as the prefixed routes, registered outside the RouterModule.
 */
@Module({
  imports: [AuthModule, ImageModule],
  controllers: [ImageLifecycleController],
})
export class ImageAliasModule {}
