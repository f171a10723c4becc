// The S3 driver is not exported here: importing it loads the AWS SDK (createStorageDriver loads it
// when STORAGE_DRIVER=s3); its tests import src/storage/s3.storage-driver.ts itself.
export { FileTooLargeError, InvalidStoragePathError, STORAGE_DRIVER } from './storage-driver';
export type { PutOptions, StorageDriver, StoredFile } from './storage-driver';
export { isStoragePath } from './storage-path';
export { ByteLimit } from './byte-limit';
export { detectImageType, peekHead, type ImageType } from './image-type';
export { LocalStorageDriver } from './local.storage-driver';
export { StorageModule } from './storage.module';
export { SPOOL_FILE_PREFIX } from './stale-uploads';
