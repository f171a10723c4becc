import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { QueryModule } from '../query';
import { ImageIndexCheckService } from './image-index-check.service';
import { ImageFileCleanup } from './image-file-cleanup';
import { ImageLifecycleController } from './image-lifecycle.controller';
import { ImagePruneService } from './image-prune.service';
import { ImageUploadService } from './image-upload.service';
import { ImageController } from './image.controller';
import { ImageService } from './image.service';

/** The Image resource; mounted under `API_PREFIX` by the app module. */
@Module({
  imports: [AuthModule, QueryModule],
  controllers: [ImageController, ImageLifecycleController],
  providers: [
    ImageService,
    ImageIndexCheckService,
    ImageUploadService,
    ImageFileCleanup,
    ImagePruneService,
  ],
  exports: [ImageService, ImageFileCleanup, ImagePruneService],
})
export class ImageModule {}
