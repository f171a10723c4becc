import { tmpdir } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { isCommitOfUnknownOutcome } from '../database/mysql-transaction';
import type { IdempotencyClaim } from '../idempotency';
import { STORAGE_DRIVER, type StorageDriver } from '../storage';
import { ImageFileCleanup } from './image-file-cleanup';
import { receiveImageUpload } from './image-upload.reader';
import { CreatedImage, ImageService } from './image.service';

/**
 * `POST /api/image` with a file (API.md section 12): the file is stored first (the reader), then
 * the image is created as a JSON create with the stored path would be; when that fails, the file
 * is removed again, so a failed create leaves no file behind (unless its COMMIT was sent and its
 * answer lost: the row may exist, and a retry with its Idempotency-Key replays it). Every stored
 * upload is also guarded (`ImageFileCleanup.guard`): ten minutes later its file goes unless an
 * image names it, which covers that case and a process that dies before the commit.
 */
@Injectable()
export class ImageUploadService {
  private readonly logger = new Logger(ImageUploadService.name);

  constructor(
    private readonly images: ImageService,
    private readonly files: ImageFileCleanup,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async create(
    request: FastifyRequest,
    actor: string,
    idempotency?: IdempotencyClaim,
  ): Promise<CreatedImage> {
    const upload = await receiveImageUpload(
      request,
      this.storage,
      this.config.storage.uploadMaxBytes,
      tmpdir(),
      {
        beforeStore: (path) => this.files.guard(path),
        removed: (path) => this.files.release(path),
      },
    );
    // A retry is the same request when it sends the same facet and the same bytes.
    idempotency?.describe({ facet: upload.facet, file: upload.sha256 });
    let created: CreatedImage;
    try {
      created = await this.images.create(
        { path: upload.path, facet: upload.facet },
        actor,
        idempotency,
      );
    } catch (error) {
      if (isCommitOfUnknownOutcome(error)) {
        // The row may exist (the COMMIT may have been applied) and name this file: it stays.
        this.logger.warn(
          { path: upload.path },
          'Kept the file of a create whose commit outcome is unknown',
        );
      } else {
        await this.removeUnused(upload.path);
      }
      throw error;
    }
    // A replayed answer names the first attempt's file: this one is not needed.
    if (idempotency?.replayed === true) await this.removeUnused(upload.path);
    return created;
  }

  /** Removes a file no row names, then its guard; the guard stays when that fails, and retries. */
  private async removeUnused(path: string): Promise<void> {
    try {
      await this.storage.delete(path);
      await this.files.release(path);
    } catch (cleanupError) {
      this.logger.error(
        { err: cleanupError, path },
        'Could not remove the file of a failed create',
      );
    }
  }
}
