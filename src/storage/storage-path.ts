import { InvalidStoragePathError } from './storage-driver';

/** S3's key limit; the image `path` column holds at most 255 characters anyway. */
const MAX_STORAGE_PATH_BYTES = 1024;

/**
 * Why `path` can't name a stored file, or null when it can: relative `/`-separated segments, none
 * empty, `.`, `..` or starting with a dot (a driver keeps its own work there), no backslash, no
 * control characters. Both drivers and the file route check paths with it, so no path reaches
 * outside the storage folder.
 */
export function storagePathProblem(path: string): string | null {
  if (path === '') return 'empty';
  if (Buffer.byteLength(path) > MAX_STORAGE_PATH_BYTES) return 'too long';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) return 'control character';
  if (path.includes('\\')) return 'backslash';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty segment (leading, trailing or double /)';
    if (segment.startsWith('.')) return `segment "${segment}" starts with a dot`;
  }
  return null;
}

export function isStoragePath(path: string): boolean {
  return storagePathProblem(path) === null;
}

export function assertStoragePath(path: string): void {
  const problem = storagePathProblem(path);
  if (problem !== null) throw new InvalidStoragePathError(path, problem);
}
