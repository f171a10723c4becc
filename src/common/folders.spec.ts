import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageConfig } from '../config/storage-config';
import { createStorageDriver } from '../storage/storage.module';
import { makeFolder, makeFolderSync } from './folders';

describe.each([
  ['makeFolderSync', (path: string) => Promise.resolve().then(() => makeFolderSync(path))],
  ['makeFolder', makeFolder],
])('%s', (_, make) => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'folders-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('should make every missing folder of a path, and take one that exists', async () => {
    const path = join(root, 'a', 'b', 'c');
    await make(path);
    expect(statSync(path).isDirectory()).toBe(true);
    await make(path);
    await make(root);
  });

  it('should refuse a path through a file with its error', async () => {
    writeFileSync(join(root, 'file'), 'x');
    await expect(make(join(root, 'file', 'images'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(make('/dev/null/images')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  // Found by a probe: Node 20's recursive mkdir loops for ever on such a path.
  it('should refuse a folder the file system will not make, at once', async () => {
    await expect(make('/proc/image-api-nope/images')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync('/proc/image-api-nope')).toBe(false);
  });
});

describe('createStorageDriver', () => {
  // Found by a probe: such a folder started, and uploads got no answer (under /proc) or a 400.
  it.each([
    [
      '/dev/null/images',
      "STORAGE_DIR cannot be used: ENOTDIR: not a directory, stat '/dev/null/images'",
    ],
    ['/proc/image-api-nope/images', /^STORAGE_DIR cannot be used: ENOENT/],
  ])('should refuse a local STORAGE_DIR of %s at start', async (directory, message) => {
    const config = { driver: 'local', directory, uploadMaxBytes: 1, pruneTrashedAfterDays: 0 };
    await expect(createStorageDriver(config as StorageConfig)).rejects.toThrow(message);
  });
});
