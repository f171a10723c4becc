import { randomUUID } from 'node:crypto';
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { lstat, open, realpath, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { entityTag } from '../common/entity-tag';
import { makeFolder } from '../common/folders';
import { ByteLimit } from './byte-limit';
import { detectImageType, SNIFF_BYTES, UNKNOWN_CONTENT_TYPE } from './image-type';
import type { OpenedFile, PutOptions, StorageDriver, StoredFile } from './storage-driver';
import { assertStoragePath, isStoragePath } from './storage-path';

/** Where puts write before their rename; a dot folder, which no storage path can name. */
export const UPLOADS_FOLDER = '.uploads';

/** Errors that mean no file is there (a name over the file system's 255 bytes names none). */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG';
}

/**
 * Files in a folder (`STORAGE_DIR`). A put writes a temporary file in `.uploads/` and renames it
 * into place, so a file appears whole or not at all and every version of it is a new inode. Paths
 * are checked (`storagePathProblem`) and resolved inside the folder; a file or folder reached
 * through a symbolic link that leads out of the folder counts as missing.
 */
export class LocalStorageDriver implements StorageDriver {
  readonly name = 'local' as const;
  private rootReal?: Promise<string>;

  constructor(readonly root: string) {}

  async put(path: string, content: Readable, options: PutOptions): Promise<StoredFile> {
    assertStoragePath(path);
    const target = join(this.root, path);
    const temporary = join(this.root, UPLOADS_FOLDER, `${randomUUID()}.part`);
    // Piped at once, so that an error of `content` is handled even while the folders are made.
    const limited = new ByteLimit(options.maxBytes);
    const reading = pipeline(content, limited);
    reading.catch(() => undefined);
    let output: WriteStream | undefined;
    try {
      await makeFolder(dirname(temporary));
      output = createWriteStream(temporary, { flags: 'wx', mode: 0o644, flush: true });
      await Promise.all([reading, pipeline(limited, output)]);
      await makeFolder(dirname(target));
      // The folder the file goes to must be inside the root even through symbolic links.
      if (!(await this.isInside(await realpath(dirname(target))))) {
        throw new Error(`The folder of "${path}" leads out of the storage folder.`);
      }
      await rename(temporary, target);
    } catch (error) {
      content.destroy();
      limited.destroy();
      // The temporary file may only be created once the stream has opened it: wait for its close.
      if (output !== undefined && !output.closed) {
        await new Promise<void>((resolve) => output!.destroy().once('close', () => resolve()));
      }
      await rm(temporary, { force: true });
      throw error;
    }
    const file = await this.stat(path);
    if (file === undefined) throw new Error(`"${path}" vanished right after it was stored.`);
    return file;
  }

  /**
   * Removes the file at `path`, when its folder is inside the root even through symbolic links;
   * nothing there (no file, a folder, a name too long) is nothing to remove.
   */
  async delete(path: string): Promise<void> {
    const file = await this.fileInFolder(path);
    if (file === undefined) return;
    try {
      // A symbolic link is removed itself (rm never follows the last one), a folder is left alone.
      if ((await lstat(file)).isDirectory()) return;
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    try {
      // unlink, not rm: rm retried a file it could not unlink as a folder, and reported ENOTDIR
      // in place of the cause (EPERM, EACCES; found by a probe).
      await unlink(file);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  /**
   * The path, from the root, that `path` leads to once the symbolic links among its folders are
   * followed (`alias/x.png` is `cover/x.png` when `alias` links to `cover`).
   */
  async resolve(path: string): Promise<string | undefined> {
    const file = await this.fileInFolder(path);
    if (file === undefined) return undefined;
    return relative(await this.realRoot(), file)
      .split(sep)
      .join('/');
  }

  async stat(path: string): Promise<StoredFile | undefined> {
    const handle = await this.openInside(path);
    if (handle === undefined) return undefined;
    try {
      return await this.describe(path, handle);
    } finally {
      await handle.close();
    }
  }

  async read(path: string): Promise<OpenedFile | undefined> {
    const handle = await this.openInside(path);
    if (handle === undefined) return undefined;
    try {
      const file = await this.describe(path, handle);
      // The stream closes the handle when it ends or is destroyed.
      return { file, body: handle.createReadStream({ start: 0 }) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The regular file at `path`, opened, when it is inside the folder; undefined otherwise. */
  private async openInside(path: string): Promise<FileHandle | undefined> {
    if (!isStoragePath(path)) return undefined;
    let real: string;
    try {
      real = await realpath(join(this.root, path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (!(await this.isInside(real))) return undefined;
    // Where a link leads counts too: one planted inside the folder must not open `.uploads`.
    if (
      !isStoragePath(
        relative(await this.realRoot(), real)
          .split(sep)
          .join('/'),
      )
    )
      return undefined;
    let handle: FileHandle;
    try {
      // Non-blocking, so that a FIFO put there by hand cannot hold a thread: it is no file anyway.
      handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    }
    const info = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    return handle;
  }

  /**
   * Size, times, and the type from the first bytes. The tag rests on the inode, size and
   * nanosecond mtime: a put always makes a new inode (rename), so other bytes mean another tag.
   */
  private async describe(path: string, handle: FileHandle): Promise<StoredFile> {
    const info = await handle.stat({ bigint: true });
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, Number(info.size)));
    if (head.length > 0) await handle.read(head, 0, head.length, 0);
    const type = await detectImageType(head);
    return {
      path,
      size: Number(info.size),
      contentType: type?.contentType ?? UNKNOWN_CONTENT_TYPE,
      etag: entityTag([
        'file',
        String(info.dev),
        String(info.ino),
        String(info.size),
        String(info.mtimeNs),
      ]),
      lastModified: new Date(Number(info.mtimeMs)),
    };
  }

  /** Where `path`'s file is, its folders resolved; undefined when the folder is missing or outside. */
  private async fileInFolder(path: string): Promise<string | undefined> {
    if (!isStoragePath(path)) return undefined;
    const target = join(this.root, path);
    let folder: string;
    try {
      folder = await realpath(dirname(target));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return (await this.isInside(folder)) ? join(folder, basename(target)) : undefined;
  }

  private realRoot(): Promise<string> {
    this.rootReal ??= makeFolder(this.root).then(() => realpath(this.root));
    return this.rootReal;
  }

  private async isInside(real: string): Promise<boolean> {
    const root = await this.realRoot();
    return real === root || real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
  }
}
