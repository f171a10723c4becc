// The S3 driver is not exported here: importing it loads the AWS SDK (createStorageDriver loads it
// when STORAGE_DRIVER=s3); its tests import src/storage/s3.storage-driver.ts itself.
export { FileTooLargeError, InvalidStoragePathError, STORAGE_DRIVER } from './storage-driver';
export type { OpenedFile, PutOptions, StorageDriver, StoredFile } from './storage-driver';
export { isStoragePath, storagePathProblem } from './storage-path';
export { ByteLimit } from './byte-limit';
export { detectImageType, peekHead, SNIFF_BYTES, type ImageType } from './image-type';
export { LocalStorageDriver } from './local.storage-driver';
export { createStorageDriver, StorageModule } from './storage.module';
export { STORED_FILE_CACHE_CONTROL, STORED_FILES_ROUTE } from './stored-file.controller';
