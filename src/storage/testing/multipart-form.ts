import { randomBytes } from 'node:crypto';

/** A field (`value` a string) or a file (`content` bytes) of a multipart form, in order. */
export type FormPart =
  | { readonly name: string; readonly value: string }
  | {
      readonly name: string;
      readonly content: Buffer;
      readonly filename?: string;
      readonly contentType?: string;
    };

/**
 * A `multipart/form-data` body built byte for byte, so that tests choose the order of the parts,
 * the file names and the client's content types (which the service must ignore).
 */
export function multipartForm(
  parts: readonly FormPart[],
  boundary = `----image-api-test-${randomBytes(8).toString('hex')}`,
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
        ),
      );
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename ?? 'picture.png'}"\r\n` +
            `Content-Type: ${part.contentType ?? 'image/png'}\r\n\r\n`,
        ),
        part.content,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
