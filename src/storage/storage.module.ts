import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { StorageConfig } from '../config/storage-config';
import { LocalStorageDriver } from './local.storage-driver';
import { createS3Client, S3StorageDriver } from './s3.storage-driver';
import { STORAGE_DRIVER, type StorageDriver } from './storage-driver';
import { StoredFileController } from './stored-file.controller';

/** The driver `STORAGE_DRIVER` names, with its settings. */
export function createStorageDriver(config: StorageConfig): StorageDriver {
  if (config.driver === 's3' && config.s3 !== undefined) {
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
    if (this.storage instanceof S3StorageDriver) this.storage.client.destroy();
  }
}
