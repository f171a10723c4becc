import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { STORAGE_DRIVER, type StorageDriver } from '../storage';
import { receiveImageUpload } from './image-upload.reader';
import { ImageResponse, ImageService } from './image.service';

/**
 * `POST /api/image` with a file (API.md section 12): the file is stored first (the reader), then
 * the image is created as a JSON create with the stored path would be; when that fails, the file
 * is removed again, so a failed create leaves no file behind.
 */
@Injectable()
export class ImageUploadService {
  private readonly logger = new Logger(ImageUploadService.name);

  constructor(
    private readonly images: ImageService,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async create(
    request: FastifyRequest,
    actor: string,
  ): Promise<{ id: number; response: ImageResponse }> {
    const upload = await receiveImageUpload(
      request,
      this.storage,
      this.config.storage.uploadMaxBytes,
    );
    try {
      return await this.images.create({ path: upload.path, facet: upload.facet }, actor);
    } catch (error) {
      await this.storage.delete(upload.path).catch((cleanupError: unknown) => {
        this.logger.error(
          { err: cleanupError, path: upload.path },
          'Could not remove the file of a failed create',
        );
      });
      throw error;
    }
  }
}
