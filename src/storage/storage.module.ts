import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DynamicModule,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { makeFolder } from '../common/folders';
import type { StorageConfig } from '../config/storage-config';
import { LocalStorageDriver, UPLOADS_FOLDER } from './local.storage-driver';
import { removeStaleParts, SPOOL_FILE_PREFIX, STALE_PART_MS } from './stale-uploads';
import { STORAGE_DRIVER, type StorageDriver } from './storage-driver';
import { StoredFileController } from './stored-file.controller';

/**
 * The driver `STORAGE_DRIVER` names, with its settings. The AWS SDK is loaded only for the S3
 * driver (it costs about a second and 20 MB at start-up).
 */
export async function createStorageDriver(config: StorageConfig): Promise<StorageDriver> {
  if (config.driver === 's3' && config.s3 !== undefined) {
    const { createS3Client, S3StorageDriver } = await import('./s3.storage-driver');
    const driver = new S3StorageDriver(createS3Client(config.s3), config.s3.bucket);
    await driver.checkBucket(new Logger('Storage'));
    return driver;
  }
  // A folder that cannot be made (a file on its way, `/proc`) is refused at start: uploads got
  // no answer, or a 400 (found by a probe).
  await makeFolder(config.directory).catch((error: unknown) => {
    // Not `instanceof Error`: errors of node:fs/promises may come from another realm (jest).
    const message = (error as { message?: unknown } | null)?.message;
    throw new Error(
      `STORAGE_DIR cannot be used: ${typeof message === 'string' ? message : String(error)}`,
    );
  });
  return new LocalStorageDriver(config.directory);
}

/**
 * The storage driver for every module (`@Inject(STORAGE_DRIVER)`), and, with the local driver,
 * `GET /storage/images/<path>`.
 *
 * At start and every `STALE_PART_MS` it removes the temporary files of uploads that a stopped
 * process left (a SIGKILL, or a SIGTERM that closed an upload in flight and exited before its
 * clean-up ran): the spooled ones in the system's temporary folder and, with the local driver, the
 * puts in `STORAGE_DIR/.uploads`.
 */
@Module({})
export class StorageModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Storage');
  private sweeper?: NodeJS.Timeout;

  constructor(@Inject(STORAGE_DRIVER) private readonly storage: StorageDriver) {}

  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [{ provide: STORAGE_DRIVER, useFactory: () => createStorageDriver(config) }],
      controllers: config.driver === 'local' ? [StoredFileController] : [],
      exports: [STORAGE_DRIVER],
    };
  }

  onApplicationBootstrap(): void {
    void this.removeStaleUploads();
    this.sweeper = setInterval(() => void this.removeStaleUploads(), STALE_PART_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.storage.close?.();
  }

  /** One sweep (`removeStaleParts`); what it removed is logged, and so is a folder it can't read. */
  async removeStaleUploads(): Promise<number> {
    const folders: [string, string][] = [[tmpdir(), SPOOL_FILE_PREFIX]];
    if (this.storage instanceof LocalStorageDriver) {
      folders.push([join(this.storage.root, UPLOADS_FOLDER), '']);
    }
    let removed = 0;
    for (const [folder, prefix] of folders) {
      try {
        removed += await removeStaleParts(folder, prefix);
      } catch (error) {
        this.logger.warn({ err: error }, `Could not look for stale uploads in ${folder}`);
      }
    }
    if (removed > 0) this.logger.log(`Removed ${removed} temporary files of unfinished uploads`);
    return removed;
  }
}
