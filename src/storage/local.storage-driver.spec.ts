import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LocalStorageDriver, UPLOADS_FOLDER } from './local.storage-driver';
import { FileTooLargeError, InvalidStoragePathError } from './storage-driver';
import { pngFile, TEXT_FILE } from './testing/image-files';

const PNG = { maxBytes: 1024 * 1024, contentType: 'image/png' };

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('LocalStorageDriver', () => {
  let base: string;
  let root: string;
  let outside: string;
  let storage: LocalStorageDriver;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'image-api-local-storage-'));
    root = join(base, 'images');
    outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.png'), pngFile());
    storage = new LocalStorageDriver(root);
  });

  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  const uploadsLeft = () =>
    existsSync(join(root, UPLOADS_FOLDER)) ? readdirSync(join(root, UPLOADS_FOLDER)) : [];

  it('should store a stream under its path, creating folders, and read it back with its type', async () => {
    const content = pngFile(40, 30);
    const stored = await storage.put('cover/abc.png', Readable.from([content]), PNG);
    expect(stored).toEqual({
      path: 'cover/abc.png',
      size: content.length,
      contentType: 'image/png',
      etag: expect.stringMatching(/^"[A-Za-z0-9_-]{27}"$/),
      lastModified: expect.any(Date),
    });
    await expect(storage.stat('cover/abc.png')).resolves.toEqual(stored);
    const opened = await storage.read('cover/abc.png');
    expect(opened?.file).toEqual(stored);
    expect(await bytesOf(opened!.body)).toEqual(content);
    expect(uploadsLeft()).toEqual([]);
  });

  it('should give a file that is not an image the type application/octet-stream', async () => {
    await storage.put('cover/notes.png', Readable.from([TEXT_FILE]), PNG);
    await expect(storage.stat('cover/notes.png')).resolves.toMatchObject({
      contentType: 'application/octet-stream',
      size: TEXT_FILE.length,
    });
  });

  it('should give a replaced file another entity tag', async () => {
    const first = await storage.put('a.png', Readable.from([pngFile(8, 8)]), PNG);
    const second = await storage.put('a.png', Readable.from([pngFile(8, 8)]), PNG);
    expect(second.size).toBe(first.size);
    expect(second.etag).not.toBe(first.etag);
  });

  it('should refuse content over the limit and leave no file behind', async () => {
    const content = pngFile(100, 100, 0);
    await expect(
      storage.put('cover/big.png', Readable.from([content]), {
        ...PNG,
        maxBytes: content.length - 1,
      }),
    ).rejects.toBeInstanceOf(FileTooLargeError);
    await expect(storage.stat('cover/big.png')).resolves.toBeUndefined();
    expect(uploadsLeft()).toEqual([]);
    // Exactly at the limit is fine.
    await storage.put('cover/big.png', Readable.from([content]), {
      ...PNG,
      maxBytes: content.length,
    });
  });

  it('should leave no file behind when the content stream fails half way', async () => {
    const source = new PassThrough();
    const put = storage.put('cover/broken.png', source, PNG);
    source.write(pngFile(50, 50, 0));
    await nextTurn();
    source.destroy(new Error('client went away'));
    await expect(put).rejects.toThrow('client went away');
    await expect(storage.stat('cover/broken.png')).resolves.toBeUndefined();
    expect(uploadsLeft()).toEqual([]);
  });

  it('should show no part of a file until the whole of it is stored', async () => {
    const source = new PassThrough();
    const put = storage.put('cover/slow.png', source, PNG);
    source.write(pngFile(50, 50, 0));
    await nextTurn();
    expect(existsSync(join(root, 'cover/slow.png'))).toBe(false);
    await expect(storage.stat('cover/slow.png')).resolves.toBeUndefined();
    source.end();
    await put;
    await expect(storage.stat('cover/slow.png')).resolves.toMatchObject({
      contentType: 'image/png',
    });
  });

  it('should delete a file, and treat deleting a missing one as done', async () => {
    await storage.put('grill/x.png', Readable.from([pngFile()]), PNG);
    await storage.delete('grill/x.png');
    await expect(storage.stat('grill/x.png')).resolves.toBeUndefined();
    await expect(storage.delete('grill/x.png')).resolves.toBeUndefined();
    await expect(storage.delete('never/there.png')).resolves.toBeUndefined();
  });

  // Found by a probe: rm retried such a file as a folder and reported ENOTDIR, not the cause.
  it('should report why a file cannot be removed (an immutable file: EPERM)', async () => {
    await storage.put('grill/fixed.png', Readable.from([pngFile()]), PNG);
    const file = join(root, 'grill', 'fixed.png');
    execFileSync('chattr', ['+i', file]);
    try {
      await expect(storage.delete('grill/fixed.png')).rejects.toMatchObject({ code: 'EPERM' });
    } finally {
      execFileSync('chattr', ['-i', file]);
    }
    await storage.delete('grill/fixed.png');
    await expect(storage.stat('grill/fixed.png')).resolves.toBeUndefined();
  });

  it.each([
    '../outside/secret.png',
    'cover/../../outside/secret.png',
    '/etc/passwd',
    '.uploads/x',
    'a\\b',
  ])('should refuse to put at %j and find nothing there', async (path) => {
    await expect(storage.put(path, Readable.from([pngFile()]), PNG)).rejects.toBeInstanceOf(
      InvalidStoragePathError,
    );
    await expect(storage.stat(path)).resolves.toBeUndefined();
    await expect(storage.read(path)).resolves.toBeUndefined();
    await expect(storage.delete(path)).resolves.toBeUndefined();
  });

  it('should not delete through a path that leads out of the folder', async () => {
    await storage.delete('../outside/secret.png');
    expect(existsSync(join(outside, 'secret.png'))).toBe(true);
  });

  it('should treat files and folders reached through symbolic links out of the folder as missing', async () => {
    mkdirSync(root, { recursive: true });
    symlinkSync(join(outside, 'secret.png'), join(root, 'linked.png'));
    symlinkSync(outside, join(root, 'linked-folder'));
    await expect(storage.stat('linked.png')).resolves.toBeUndefined();
    await expect(storage.read('linked-folder/secret.png')).resolves.toBeUndefined();
    await expect(
      storage.put('linked-folder/planted.png', Readable.from([pngFile()]), PNG),
    ).rejects.toThrow('leads out of the storage folder');
    expect(readdirSync(outside)).toEqual(['secret.png']);
    expect(uploadsLeft()).toEqual([]);
  });

  // Found by a probe: a link planted inside the folder led into `.uploads`, which the dot rule
  // keeps unreachable by name, and the upload in progress was served.
  it('should treat a link inside the folder that leads into a dot folder as missing', async () => {
    mkdirSync(join(root, UPLOADS_FOLDER), { recursive: true });
    mkdirSync(join(root, 'cover'), { recursive: true });
    writeFileSync(join(root, UPLOADS_FOLDER, 'x.part'), pngFile());
    symlinkSync(join('..', UPLOADS_FOLDER), join(root, 'cover', 'uploads'));
    symlinkSync(join('..', UPLOADS_FOLDER, 'x.part'), join(root, 'cover', 'part.png'));
    await expect(storage.stat('cover/uploads/x.part')).resolves.toBeUndefined();
    await expect(storage.read('cover/uploads/x.part')).resolves.toBeUndefined();
    await expect(storage.stat('cover/part.png')).resolves.toBeUndefined();
    // A link to a plain file inside is served as before.
    await storage.put('cover/real.png', Readable.from([pngFile()]), PNG);
    symlinkSync('real.png', join(root, 'cover', 'alias.png'));
    await expect(storage.stat('cover/alias.png')).resolves.toMatchObject({
      path: 'cover/alias.png',
      contentType: 'image/png',
    });
  });

  // Found by a black-box probe: delete did not resolve the folder, so a force delete of an image
  // whose path ran through a linked folder removed the file outside.
  it('should not delete through a folder linked out of the storage folder', async () => {
    mkdirSync(root, { recursive: true });
    symlinkSync(outside, join(root, 'linked-folder'));
    await storage.delete('linked-folder/secret.png');
    expect(readdirSync(outside)).toEqual(['secret.png']);
  });

  it('should resolve a path through the folder links inside the folder, and no further', async () => {
    await storage.put('cover/real.png', Readable.from([pngFile()]), PNG);
    symlinkSync(join(root, 'cover'), join(root, 'alias'));
    symlinkSync(outside, join(root, 'linked-folder'));
    await expect(storage.resolve('alias/real.png')).resolves.toBe('cover/real.png');
    await expect(storage.resolve('cover/real.png')).resolves.toBe('cover/real.png');
    // The last name is not followed: a link to a file is a file of its own.
    symlinkSync(join(root, 'cover/real.png'), join(root, 'cover/link.png'));
    await expect(storage.resolve('alias/link.png')).resolves.toBe('cover/link.png');
    await expect(storage.resolve('linked-folder/secret.png')).resolves.toBeUndefined();
    await expect(storage.resolve('missing/real.png')).resolves.toBeUndefined();
    await expect(storage.resolve('../outside/secret.png')).resolves.toBeUndefined();
  });

  it('should delete a link inside the folder, not the file it points to', async () => {
    await storage.put('cover/real.png', Readable.from([pngFile()]), PNG);
    symlinkSync(join(root, 'cover/real.png'), join(root, 'cover/alias.png'));
    await storage.delete('cover/alias.png');
    expect(readdirSync(join(root, 'cover'))).toEqual(['real.png']);
  });

  it('should find nothing at, and have nothing to delete at, a name over 255 bytes or a folder', async () => {
    await storage.put('cover/a.png', Readable.from([pngFile()]), PNG);
    const long = `cover/${'é'.repeat(130)}.png`;
    await expect(storage.stat(long)).resolves.toBeUndefined();
    await expect(storage.read(long)).resolves.toBeUndefined();
    await expect(storage.delete(long)).resolves.toBeUndefined();
    await expect(storage.delete('cover')).resolves.toBeUndefined();
    expect(readdirSync(join(root, 'cover'))).toEqual(['a.png']);
  });

  it('should find nothing at a FIFO, without waiting for a writer', async () => {
    mkdirSync(join(root, 'cover'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'cover/fifo.png')]);
    await expect(storage.read('cover/fifo.png')).resolves.toBeUndefined();
    await expect(storage.stat('cover/fifo.png')).resolves.toBeUndefined();
  });

  it('should follow a symbolic link that stays inside the folder', async () => {
    await storage.put('cover/real.png', Readable.from([pngFile()]), PNG);
    symlinkSync(join(root, 'cover/real.png'), join(root, 'cover/alias.png'));
    await expect(storage.stat('cover/alias.png')).resolves.toMatchObject({
      contentType: 'image/png',
    });
  });

  it('should find nothing at a folder or in a missing storage folder', async () => {
    await expect(new LocalStorageDriver(join(base, 'none')).stat('a.png')).resolves.toBeUndefined();
    await storage.put('cover/a.png', Readable.from([pngFile()]), PNG);
    await expect(storage.stat('cover')).resolves.toBeUndefined();
    await expect(storage.read('cover')).resolves.toBeUndefined();
  });
});
