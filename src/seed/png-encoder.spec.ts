import { crc32, inflateSync } from 'node:zlib';
import { demoPicture } from './demo-files';
import { encodePng } from '../storage/png-encoder';

interface Chunk {
  type: string;
  data: Buffer;
  crcMatches: boolean;
}

/** The chunks of a PNG, each with whether its CRC is right. */
function chunksOf(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    const crcMatches =
      png.readUInt32BE(at + 8 + length) === crc32(png.subarray(at + 4, at + 8 + length));
    chunks.push({ type, data, crcMatches });
    at += 12 + length;
  }
  return chunks;
}

describe('encodePng', () => {
  it('should write the signature, IHDR, IDAT with every scanline, and IEND, all with right CRCs', () => {
    const png = encodePng(3, 2, (x, y) => [x * 10, y * 20, 255]);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    const chunks = chunksOf(png);
    expect(chunks.map(({ type, crcMatches }) => [type, crcMatches])).toEqual([
      ['IHDR', true],
      ['IDAT', true],
      ['IEND', true],
    ]);
    expect(chunks[0].data).toEqual(Buffer.from([0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0]));
    expect(inflateSync(chunks[1].data)).toEqual(
      Buffer.from([0, 0, 0, 255, 10, 0, 255, 20, 0, 255, 0, 0, 20, 255, 10, 20, 255, 20, 20, 255]),
    );
  });

  it('should store the pixels as they are at level 0 (a file as large as its pixels)', () => {
    expect(encodePng(100, 100, () => [1, 2, 3], 0).length).toBeGreaterThan(100 * 301);
  });
});

describe('demoPicture', () => {
  it('should make a 240x336 PNG that differs from one seed to the next', () => {
    const [first, second] = [demoPicture(1), demoPicture(2)];
    expect([first.readUInt32BE(16), first.readUInt32BE(20)]).toEqual([240, 336]);
    expect(first.equals(second)).toBe(false);
    expect(first.equals(demoPicture(1))).toBe(true);
  });
});
