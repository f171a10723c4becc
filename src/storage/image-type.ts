import { Readable } from 'node:stream';

// file-type 21 is an ES module (the last line for Node 20): Node >= 20.19 loads it with require(),
// and jest transforms it to CommonJS (package.json "jest"); docs/storage.md#file-types. Loaded on
// first use: a service that never reads a file's type never pays for it.
type FileTypeModule = typeof import('file-type');
let fileTypeModule: Promise<FileTypeModule> | undefined;
const loadFileType = (): Promise<FileTypeModule> => (fileTypeModule ??= import('file-type'));

/** A file type the service stores and serves as an image. */
export interface ImageType {
  /** The extension of stored names: `jpg`, `png`, `gif`, `webp`, `avif`. */
  readonly extension: string;
  readonly contentType: string;
}

const JPEG: ImageType = { extension: 'jpg', contentType: 'image/jpeg' };
const PNG: ImageType = { extension: 'png', contentType: 'image/png' };
const GIF: ImageType = { extension: 'gif', contentType: 'image/gif' };
const WEBP: ImageType = { extension: 'webp', contentType: 'image/webp' };
const AVIF: ImageType = { extension: 'avif', contentType: 'image/avif' };

/** file-type's extensions that are accepted images (an animated PNG is a PNG). */
const ACCEPTED: Readonly<Record<string, ImageType>> = {
  jpg: JPEG,
  png: PNG,
  apng: PNG,
  gif: GIF,
  webp: WEBP,
  avif: AVIF,
};

/** Served for anything stored that is not one of the accepted images. */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** How much of a file the type is read from (file-type's own recommended sample size). */
export const SNIFF_BYTES = 4100;

/** The image type the first bytes of a file show (magic bytes), or undefined for anything else. */
export async function detectImageType(head: Uint8Array): Promise<ImageType | undefined> {
  if (head.length === 0) return undefined;
  const { fileTypeFromBuffer } = await loadFileType();
  const detected = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES));
  const type = detected === undefined ? undefined : ACCEPTED[detected.ext];
  return type ?? (namesAvifBrand(head) ? AVIF : undefined);
}

/**
 * Whether the file begins with an ISO-BMFF `ftyp` box naming the brand `avif`. AVIF asks for it
 * among the compatible brands, not as the major brand: a file whose major brand is `mif1` or
 * `miaf` (file-type reads those as HEIF) is an AVIF all the same (found by a probe).
 */
function namesAvifBrand(head: Uint8Array): boolean {
  if (head.length < 16) return false;
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (bytes.toString('latin1', 4, 8) !== 'ftyp') return false;
  const end = Math.min(bytes.readUInt32BE(0), bytes.length);
  // The major brand at 8, the minor version at 12, then the compatible brands.
  for (let offset = 8; offset + 4 <= end; offset += offset === 8 ? 8 : 4) {
    if (bytes.toString('latin1', offset, offset + 4) === 'avif') return true;
  }
  return false;
}

/**
 * Reads the first `size` bytes of `stream` (fewer when it ends first) without losing them: the
 * returned stream yields the whole content, those bytes included.
 */
export async function peekHead(
  stream: Readable,
  size: number = SNIFF_BYTES,
): Promise<{ head: Buffer; content: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for (;;) {
    if (stream.errored) throw stream.errored;
    if (length >= size || stream.readableEnded) break;
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        stream.off('readable', settle).off('end', settle).off('close', settle);
        stream.off('error', settle);
        if (error instanceof Error) reject(error);
        else resolve();
      };
      stream.on('readable', settle).on('end', settle).on('close', settle).on('error', settle);
    });
    if (stream.destroyed && !stream.readableEnded) {
      throw stream.errored ?? new Error('The stream was closed before it ended.');
    }
  }
  const read = Buffer.concat(chunks);
  async function* whole(): AsyncGenerator<Buffer> {
    if (read.length > 0) yield read;
    if (!stream.readableEnded) yield* stream as AsyncIterable<Buffer>;
  }
  return { head: read.subarray(0, size), content: Readable.from(whole(), { objectMode: false }) };
}
