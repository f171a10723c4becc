import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { StorageConfig } from '../config/storage-config';
import { LocalStorageDriver } from './local.storage-driver';
import { STORAGE_DRIVER, type StorageDriver } from './storage-driver';
import { StoredFileController } from './stored-file.controller';

/**
 * The driver `STORAGE_DRIVER` names, with its settings. The AWS SDK is loaded only for the S3
 * driver (it costs about a second and 20 MB at start-up).
 */
export async function createStorageDriver(config: StorageConfig): Promise<StorageDriver> {
  if (config.driver === 's3' && config.s3 !== undefined) {
    const { createS3Client, S3StorageDriver } = await import('./s3.storage-driver');
    return new S3StorageDriver(createS3Client(config.s3), config.s3.bucket);
  }
  return new LocalStorageDriver(config.directory);
}

/**
 * The storage driver for every module (`@Inject(STORAGE_DRIVER)`), and, with the local driver,
 * `GET /storage/images/<path>`.
 */
@Module({})
export class StorageModule implements OnApplicationShutdown {
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

  onApplicationShutdown(): void {
    this.storage.close?.();
  }
}
