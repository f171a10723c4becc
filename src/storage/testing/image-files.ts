import { encodePng } from '../png-encoder';

/**
 * Small real image files of every accepted type, for tests. PNG and GIF are built here; JPEG, WebP
 * and AVIF are 8x8 pictures made once with Debian's encoders (`cjpeg -quality 50 -optimize`,
 * `cwebp -lossless`, `avifenc -s 10 --min 30 --max 40`, from the PNG below) and checked with their
 * decoders (`djpeg`, `dwebp`, `avifdec`): an encoder for each in test code would be most of a codec.
 */

/** A `width` x `height` PNG with a gradient (level 0: as large as its pixels, for big files). */
export function pngFile(width = 8, height = 8, level = 9): Buffer {
  return encodePng(width, height, (x, y) => [(x * 32) & 0xff, (y * 32) & 0xff, 128], level);
}

/** A 1x1 GIF89a: a two-colour palette and one LZW-coded pixel (clear, 0, end). */
export function gifFile(): Buffer {
  return Buffer.from([
    ...Buffer.from('GIF89a', 'ascii'),
    ...[0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00], // 1x1, global palette of 2 colours
    ...[0xff, 0xff, 0xff, 0x00, 0x00, 0x00], // white, black
    ...[0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00], // image at 0,0, 1x1
    ...[0x02, 0x02, 0x44, 0x01, 0x00], // LZW minimum code size 2, one 2-byte block, end
    0x3b, // trailer
  ]);
}

const JPEG_8X8 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAXEAEBAQEAAAAAAAAAAAAAAAAABSIx/8QAFQEBAQAAAAAAAAAAAAAAAAAAAgT/xAAbEQACAQUAAAAAAAAAAAAAAAADBAABEhMhMf/aAAwDAQACEQMRAD8AhPhcwAnKyS7saDZcNNz/2Q==';
const WEBP_8X8 = 'UklGRi4AAABXRUJQVlA4TCIAAAAvB8ABAJkyRPQ/NhHR/wBhtlFRzp9zryMYkAGMCaB6oP8A';
const AVIF_8X8 =
  'AAAAIGZ0eXBhdmlmAAAAAGF2aWZtaWYxbWlhZk1BMUEAAADybWV0YQAAAAAAAAAoaGRscgAAAAAAAAAAcGljdAAAAAAAAAAAAAAAAGxpYmF2aWYAAAAADnBpdG0AAAAAAAEAAAAeaWxvYwAAAABEAAABAAEAAAABAAABGgAAACgAAAAoaWluZgAAAAAAAQAAABppbmZlAgAAAAABAABhdjAxQ29sb3IAAAAAamlwcnAAAABLaXBjbwAAABRpc3BlAAAAAAAAAAgAAAAIAAAAEHBpeGkAAAAAAwgICAAAAAxhdjFDgSAAAAAAABNjb2xybmNseAABAA0ABoAAAAAXaXBtYQAAAAAAAAABAAEEAQKDBAAAADBtZGF0EgAKCDgIv2EBDQaQMhoYwA0000QAAVnNn+PxY1InEzHPrfgoAvjN0A==';

export const jpegFile = (): Buffer => Buffer.from(JPEG_8X8, 'base64');
export const webpFile = (): Buffer => Buffer.from(WEBP_8X8, 'base64');
export const avifFile = (): Buffer => Buffer.from(AVIF_8X8, 'base64');

/** One file of each accepted type, with the extension and content type it must get. */
export const IMAGE_FILES: readonly {
  readonly name: string;
  readonly content: () => Buffer;
  readonly extension: string;
  readonly contentType: string;
}[] = [
  { name: 'JPEG', content: jpegFile, extension: 'jpg', contentType: 'image/jpeg' },
  { name: 'PNG', content: () => pngFile(), extension: 'png', contentType: 'image/png' },
  { name: 'GIF', content: gifFile, extension: 'gif', contentType: 'image/gif' },
  { name: 'WebP', content: webpFile, extension: 'webp', contentType: 'image/webp' },
  { name: 'AVIF', content: avifFile, extension: 'avif', contentType: 'image/avif' },
];

/** Text with a picture's name: what a `.png` upload that is not an image looks like. */
export const TEXT_FILE = Buffer.from('This is not a picture, whatever its name says.\n', 'utf8');
