import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ImageLifecycleController } from './image-lifecycle.controller';
import { ImageController } from './image.controller';
import { ImageRepository } from './image.repository';
import { ImageService } from './image.service';

/** The Image resource; mounted under `API_PREFIX` by the app module. */
@Module({
  imports: [AuthModule],
  controllers: [ImageController, ImageLifecycleController],
  providers: [ImageService, ImageRepository],
  exports: [ImageService, ImageRepository],
})
export class ImageModule {}
