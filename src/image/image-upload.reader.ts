import '@fastify/multipart';
import { createHash, randomInt, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pipe, type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { ApiError, ValidationFailedError } from '../common/api-error';
import { unsupportedBodyEncoding } from '../common/json-body';
import {
  ByteLimit,
  detectImageType,
  FileTooLargeError,
  peekHead,
  SPOOL_FILE_PREFIX,
  type ImageType,
  type PutOptions,
  type StorageDriver,
  type StoredFile,
} from '../storage';
import { invalidFacetMessage, parseImageFacet } from './dto/image-field.validators';
import { IMAGE_FACET_NAMES, ImageFacet } from './image-facet';

export const UPLOAD_MESSAGES = {
  fileRequired: 'The file field is required.',
  notAnImage: 'The file must be an image.',
  oneFile: 'The file field must be a single file.',
  pathNotAccepted: 'The path field is not accepted with a file upload: the service names the file.',
  facetRequired: 'The facet field is required.',
  facetOnce: 'The facet field must be given once.',
  malformed: 'Malformed multipart body.',
  reservedFieldName:
    'A form field may not be named like a property every object has (__proto__, constructor, toString...).',
  tooManyParts: 'The form has too many fields.',
} as const;

/** The 413 of an upload over `UPLOAD_MAX_BYTES`. */
export function fileTooLargeMessage(maxBytes: number): string {
  return `The file must not be larger than ${maxBytes} bytes.`;
}

/** What the reader tells its caller of the files it stores (`ImageFileCleanup.guard`). */
export interface UploadGuard {
  /** A file is about to be stored at `path`. */
  beforeStore(path: string): Promise<void>;
  /** The file at `path` was removed again (the form failed after it was stored). */
  removed(path: string): Promise<void>;
}

const NO_GUARD: UploadGuard = {
  beforeStore: () => Promise.resolve(),
  removed: () => Promise.resolve(),
};

/** An upload stored at its final path. */
export interface ReceivedUpload {
  readonly facet: ImageFacet;
  readonly path: string;
  readonly file: StoredFile;
  /** SHA-256 of the file's bytes, hex (what an `Idempotency-Key` retry is compared by). */
  readonly sha256: string;
}

const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `<facet in kebab case>/<40 random letters and digits>.<extension>` (API.md section 12). */
export function uploadPath(facet: ImageFacet, type: ImageType): string {
  const folder = IMAGE_FACET_NAMES[facet].toLowerCase().replace(/\s+/g, '-');
  let name = '';
  for (let i = 0; i < 40; i++) name += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return `${folder}/${name}.${type.extension}`;
}

/** A file part kept on disk until the facet, which names its folder, has been read. */
interface SpooledFile {
  readonly type: ImageType;
  readonly location: string;
}

/** What the parts said, in the order the contract's errors are keyed. */
interface FormState {
  file: 'absent' | 'stored' | 'spooled' | 'not-an-image';
  fileTwice?: boolean;
  /** A text field named `file`: with the file part too, the file is given twice. */
  fileFieldSeen?: boolean;
  facetValue?: string;
  facetSeen: boolean;
  facetTwice?: boolean;
  pathSeen: boolean;
  stored?: { readonly path: string; readonly file: StoredFile };
  spooled?: SpooledFile;
  /** The file's bytes as they went by. */
  hash?: Hash;
}

/** Multipart's own errors (`@fastify/multipart`, busboy) as the contract's answers. */
function multipartError(error: unknown, maxBytes: number): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof FileTooLargeError) return new ApiError(413, fileTooLargeMessage(maxBytes));
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new ApiError(413, fileTooLargeMessage(maxBytes));
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new ApiError(413, UPLOAD_MESSAGES.tooManyParts);
  }
  // @fastify/multipart refuses such names outright and reads no further (its own guard).
  if (code === 'FST_PROTO_VIOLATION') return new ApiError(400, UPLOAD_MESSAGES.reservedFieldName);
  if (
    code === 'FST_MP_PREMATURE_CLOSE' ||
    code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' ||
    // Not a file system's error, whose path may name a `.part` file (found by a probe).
    (error instanceof Error &&
      typeof (error as { syscall?: unknown }).syscall !== 'string' &&
      /multipart|boundary|part|form/i.test(error.message))
  ) {
    return new ApiError(400, UPLOAD_MESSAGES.malformed);
  }
  return undefined;
}

/** RFC 2046 section 5.1.1: a boundary has 1 to 70 characters. */
const MAX_BOUNDARY_LENGTH = 70;

/** RFC 9110's token, less `*`: RFC 2231's `name*=charset''value` parameters are not taken. */
const TOKEN = "[!#$%&'+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
const PARAMETER = `\\s*;\\s*(${TOKEN})\\s*=\\s*(${TOKEN}|${QUOTED})`;
const MULTIPART_TYPE = new RegExp(`^\\s*multipart/form-data((?:${PARAMETER})*)\\s*;?\\s*$`, 'i');

/**
 * Whether a multipart `Content-Type` names one boundary of 1 to 70 characters in plain RFC 9110
 * parameters. Judged before busboy, which throws a plain `Error` for a boundary over 252
 * characters (a 500), and whose own reading of the parameters (RFC 2231 `boundary*=`, spaces
 * inside names, text in quotes) could take another boundary than this check read (both found by
 * black-box probes): a type it could read otherwise is refused whole.
 */
function hasValidBoundary(contentType: string | undefined): boolean {
  const type = MULTIPART_TYPE.exec(contentType ?? '');
  if (type === null) return false;
  const boundaries = [...type[1].matchAll(new RegExp(PARAMETER, 'g'))]
    .filter(([, name]) => name.toLowerCase() === 'boundary')
    .map(([, , value]) =>
      value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value,
    );
  return (
    boundaries.length === 1 &&
    boundaries[0].length >= 1 &&
    boundaries[0].length <= MAX_BOUNDARY_LENGTH
  );
}

/** Reads a part to its end, keeping nothing; over `maxBytes` it is a 413 like the file. */
async function drain(stream: Readable, maxBytes: number): Promise<void> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  await pipeline(stream, new ByteLimit(maxBytes), discard);
}

/**
 * `POST /api/image` with `multipart/form-data`: reads `file` and `facet` (in either order; other
 * fields and files are ignored like unknown JSON keys, `path` is refused, as a field or a file),
 * takes the file's type from its bytes, and stores it through `storage` at `uploadPath(facet, type)`.
 * When the facet came first the file streams straight to the store; otherwise it waits in a
 * temporary file (`spoolDirectory`) until the facet is known. Memory holds at most a few chunks
 * either way.
 *
 * Answers like a JSON create: 422 with every field's error (`file`, `facet`, `path`), 413 over
 * `maxBytes`, 400 for a malformed body; on any error nothing stays stored. The caller removes the
 * stored file if what follows (the insert) fails. `guard` hears of each file before it is stored
 * and after the reader removed it again (the service guards files against a create that never
 * commits: `ImageFileCleanup.guard`).
 */
export async function receiveImageUpload(
  request: FastifyRequest,
  storage: StorageDriver,
  maxBytes: number,
  spoolDirectory: string = tmpdir(),
  guard: UploadGuard = NO_GUARD,
): Promise<ReceivedUpload> {
  const encoded = unsupportedBodyEncoding(request.headers, request.raw.rawHeaders);
  if (encoded !== undefined) throw new ApiError(415, encoded);
  if (!hasValidBoundary(request.headers['content-type'])) {
    throw new ApiError(400, UPLOAD_MESSAGES.malformed);
  }
  const state: FormState = { file: 'absent', facetSeen: false, pathSeen: false };
  try {
    const parts = request.parts({
      // One byte over the limit reaches the store, which refuses it: a truncated file is never
      // stored as if it were whole. Every file part, whatever its name, has that limit and counts
      // against `parts`; a second `file` is judged below, not by busboy's `files`.
      limits: { fileSize: maxBytes + 1, fields: 20, parts: 21, fieldSize: 1024 },
    });
    for await (const part of parts) {
      if (part.fieldname === 'facet') {
        // A repeated facet is refused, as a repeated query parameter is: which one was meant?
        if (state.facetSeen) state.facetTwice = true;
        state.facetSeen = true;
        // A file is no facet value: '' is refused as an invalid one.
        const value = part.type === 'field' && !part.valueTruncated ? String(part.value) : '';
        state.facetValue ??= value;
      } else if (part.fieldname === 'path') {
        state.pathSeen = true;
      } else if (part.fieldname === 'file' && part.type === 'field') {
        state.fileFieldSeen = true;
      }
      if (part.type === 'field') continue;
      if (part.fieldname !== 'file' || state.file !== 'absent') {
        if (part.fieldname === 'file') state.fileTwice = true;
        await drain(part.file, maxBytes);
        continue;
      }
      await receiveFile(part.file, state, storage, maxBytes, spoolDirectory, guard);
    }
    const facet = state.facetValue === undefined ? undefined : parseImageFacet(state.facetValue);
    const errors: Record<string, string[]> = {};
    if (state.file === 'absent') errors.file = [UPLOAD_MESSAGES.fileRequired];
    if (state.file === 'not-an-image') errors.file = [UPLOAD_MESSAGES.notAnImage];
    if (state.fileTwice === true || (state.fileFieldSeen === true && state.file !== 'absent')) {
      errors.file = [UPLOAD_MESSAGES.oneFile];
    }
    if (!state.facetSeen) errors.facet = [UPLOAD_MESSAGES.facetRequired];
    else if (state.facetTwice === true) errors.facet = [UPLOAD_MESSAGES.facetOnce];
    else if (facet === undefined) errors.facet = [invalidFacetMessage()];
    if (state.pathSeen) errors.path = [UPLOAD_MESSAGES.pathNotAccepted];
    if (Object.keys(errors).length > 0 || facet === undefined) {
      throw new ValidationFailedError(errors);
    }
    const sha256 = state.hash!.digest('hex');
    if (state.stored !== undefined) return { facet, ...state.stored, sha256 };
    const spooled = state.spooled!;
    const path = uploadPath(facet, spooled.type);
    const file = await storeGuarded(storage, guard, path, createReadStream(spooled.location), {
      maxBytes,
      contentType: spooled.type.contentType,
    });
    return { facet, path, file, sha256 };
  } catch (error) {
    if (state.stored !== undefined) {
      const { path } = state.stored;
      await storage
        .delete(path)
        .then(() => guard.removed(path))
        .catch(() => undefined);
    }
    throw multipartError(error, maxBytes) ?? error;
  } finally {
    if (state.spooled !== undefined) await rm(state.spooled.location, { force: true });
  }
}

/** A put the guard hears of before, and after when it stored nothing (a put is whole or none). */
async function storeGuarded(
  storage: StorageDriver,
  guard: UploadGuard,
  path: string,
  content: Readable,
  options: PutOptions,
): Promise<StoredFile> {
  await guard.beforeStore(path);
  try {
    return await storage.put(path, content, options);
  } catch (error) {
    await guard.removed(path).catch(() => undefined);
    throw error;
  }
}

/** The `file` part: sniffed, then stored (facet known and good) or spooled, or drained (no image). */
async function receiveFile(
  stream: Readable,
  state: FormState,
  storage: StorageDriver,
  maxBytes: number,
  spoolDirectory: string,
  guard: UploadGuard,
): Promise<void> {
  const { head, content } = await peekHead(stream);
  const type = await detectImageType(head);
  if (type === undefined) {
    state.file = 'not-an-image';
    // Read to the end all the same: the fields after it still count, and the limit still holds.
    await drain(content, maxBytes);
    return;
  }
  const hash = createHash('sha256');
  state.hash = hash;
  const hashed = pipe(
    content,
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    }),
    () => undefined,
  );
  const facet = state.facetValue === undefined ? undefined : parseImageFacet(state.facetValue);
  if (facet !== undefined && !state.pathSeen) {
    const path = uploadPath(facet, type);
    const file = await storeGuarded(storage, guard, path, hashed, {
      maxBytes,
      contentType: type.contentType,
    });
    state.stored = { path, file };
    state.file = 'stored';
    return;
  }
  const location = join(spoolDirectory, `${SPOOL_FILE_PREFIX}${randomUUID()}.part`);
  state.spooled = { type, location };
  await pipeline(hashed, new ByteLimit(maxBytes), createWriteStream(location, { flags: 'wx' }));
  state.file = 'spooled';
}
