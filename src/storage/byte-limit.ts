import { Transform, type TransformCallback } from 'node:stream';
import { FileTooLargeError } from './storage-driver';

/** Passes bytes through and fails with `FileTooLargeError` once more than `maxBytes` went by. */
export class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  /** Bytes passed through so far. */
  get bytes(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) callback(new FileTooLargeError(this.maxBytes));
    else callback(null, chunk);
  }
}
