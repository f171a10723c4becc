import type { Readable } from 'node:stream';
import type { StorageDriverName } from '../config/storage-config';

/** What a driver knows about a stored file. */
export interface StoredFile {
  readonly path: string;
  readonly size: number;
  readonly contentType: string;
  /** A strong entity tag, quoted (`"..."`); it changes whenever the bytes could have. */
  readonly etag: string;
  readonly lastModified: Date;
}

export interface PutOptions {
  /** More bytes than this fail the put with `FileTooLargeError`, and nothing is stored. */
  readonly maxBytes: number;
  readonly contentType: string;
}

/** A stored file, opened for reading. Destroy `body` when it is not read to the end. */
export interface OpenedFile {
  readonly file: StoredFile;
  readonly body: Readable;
}

/**
 * Where image files live, addressed by the image's relative `path` (see `storagePathProblem` for
 * the paths a driver takes). A put is all or nothing: a failed or over-limit put leaves no file,
 * and a reader never sees half a file.
 */
export interface StorageDriver {
  readonly name: StorageDriverName;
  /** Stores `content` at `path`, replacing what was there. */
  put(path: string, content: Readable, options: PutOptions): Promise<StoredFile>;
  /** Removes the file; a missing file (or a path no file can have) is not an error. */
  delete(path: string): Promise<void>;
  /**
   * The store's own path of the file `path` reaches, where links can make two paths one file
   * (local folders); undefined when it reaches none. A store without links leaves it out.
   */
  resolve?(path: string): Promise<string | undefined>;
  /** The file's metadata, or undefined when there is none. */
  stat(path: string): Promise<StoredFile | undefined>;
  /** The file opened for reading, or undefined when there is none. */
  read(path: string): Promise<OpenedFile | undefined>;
  /** Lets go of connections, at shutdown. */
  close?(): void;
}

/** Injects the configured `StorageDriver`. */
export const STORAGE_DRIVER = Symbol('STORAGE_DRIVER');

/** A put's content went past `PutOptions.maxBytes`. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes.`);
    this.name = 'FileTooLargeError';
  }
}

/** A put was asked to store at a path that no stored file may have. */
export class InvalidStoragePathError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`Invalid storage path ${JSON.stringify(path)}: ${problem}`);
    this.name = 'InvalidStoragePathError';
  }
}
