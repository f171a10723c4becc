export { FileTooLargeError, InvalidStoragePathError, STORAGE_DRIVER } from './storage-driver';
export type { OpenedFile, PutOptions, StorageDriver, StoredFile } from './storage-driver';
export { isStoragePath, storagePathProblem } from './storage-path';
export { detectImageType, peekHead, SNIFF_BYTES, type ImageType } from './image-type';
export { LocalStorageDriver } from './local.storage-driver';
export { createS3Client, S3StorageDriver, S3_PART_SIZE } from './s3.storage-driver';
export { createStorageDriver, StorageModule } from './storage.module';
export { STORED_FILE_CACHE_CONTROL, STORED_FILES_ROUTE } from './stored-file.controller';
