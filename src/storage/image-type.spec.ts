import { Readable } from 'node:stream';
import { detectImageType, peekHead, SNIFF_BYTES } from './image-type';
import { avifFile, IMAGE_FILES, pngFile, TEXT_FILE } from './testing/image-files';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `content` as a stream of `size`-byte chunks. */
function chunked(content: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < content.length; at += size) parts.push(content.subarray(at, at + size));
  return Readable.from(parts, { objectMode: false });
}

describe('detectImageType', () => {
  it.each(IMAGE_FILES)(
    'should recognise a $name file by its bytes',
    async ({ content, extension, contentType }) => {
      await expect(detectImageType(content())).resolves.toEqual({ extension, contentType });
    },
  );

  it.each(['mif1', 'miaf', 'MA1A'])(
    'should recognise an AVIF whose major brand is %s, by its compatible brands',
    async (brand) => {
      const file = avifFile();
      file.write(brand, 8, 'latin1');
      expect(await detectImageType(file)).toEqual({ extension: 'avif', contentType: 'image/avif' });
    },
  );

  it('should not take a HEIF whose brands do not name avif for an AVIF', async () => {
    const file = avifFile();
    // ftyp: major `heic`, compatible `mif1 heic miaf heix` (no avif).
    file.write('heic', 8, 'latin1');
    file.write('mif1heicmiafheix', 16, 'latin1');
    expect(await detectImageType(file)).toBeUndefined();
    // `avif` in the minor version's place is not a brand.
    const minor = avifFile();
    minor.write('mif1', 8, 'latin1');
    minor.write('avif', 12, 'latin1');
    minor.write('mif1heicmiafheix', 16, 'latin1');
    expect(await detectImageType(minor)).toBeUndefined();
  });

  it('should recognise nothing in text, an empty file or a PNG cut after its signature', async () => {
    await expect(detectImageType(TEXT_FILE)).resolves.toBeUndefined();
    await expect(detectImageType(Buffer.alloc(0))).resolves.toBeUndefined();
    await expect(detectImageType(pngFile().subarray(0, 4))).resolves.toBeUndefined();
  });

  it('should refuse file types that are not accepted images (PDF, ZIP, BMP)', async () => {
    const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1');
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Buffer.alloc(40)]);
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]);
    for (const file of [pdf, zip, bmp])
      await expect(detectImageType(file)).resolves.toBeUndefined();
  });
});

describe('peekHead', () => {
  it('should read the first bytes of a chunked stream and still give the whole content', async () => {
    const content = pngFile(200, 200, 0);
    const { head, content: whole } = await peekHead(chunked(content, 1000));
    expect(head).toEqual(content.subarray(0, SNIFF_BYTES));
    expect(await collect(whole)).toEqual(content);
  });

  it('should give what there is when the stream ends before the head is full', async () => {
    const content = Buffer.from('short');
    const { head, content: whole } = await peekHead(chunked(content, 2));
    expect(head).toEqual(content);
    expect(await collect(whole)).toEqual(content);
  });

  it('should fail with the error of a stream that fails before the head is read', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(peekHead(failing)).rejects.toThrow('connection reset');
  });
});
