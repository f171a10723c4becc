import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { FileTooLargeError, InvalidStoragePathError } from '../src/storage';
import type { S3Client } from '@aws-sdk/client-s3';
import { toErrorResponse } from '../src/common/error-response';
import {
  createS3Client,
  S3_DELETE_TIMEOUT_MS,
  S3_IDLE_TIMEOUT_MS,
  S3_PART_SIZE,
  S3StorageDriver,
} from '../src/storage/s3.storage-driver';
import { pngFile, TEXT_FILE } from '../src/storage/testing/image-files';
import { stablePort } from './helpers/ports';
import { S3RVER_CREDENTIALS, S3TestServer } from './helpers/s3-server';

/** A PNG of about `bytes` (uncompressed pixels), so its start is a real PNG. */
function bigPng(bytes: number): Buffer {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  return pngFile(side, side, 0);
}

/** `content` in 64 KiB chunks, as an upload arrives. */
function chunked(content: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < content.length; at += 65536) chunks.push(content.subarray(at, at + 65536));
  return Readable.from(chunks, { objectMode: false });
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The S3 driver against a real S3-protocol server (s3rver in its own process on a port of its own),
 * credentials from the usual AWS variables: puts of one part and of many, the byte limit on both,
 * stat, read, delete, and an unreachable store failing loudly rather than looking empty.
 */
describe('S3StorageDriver against s3rver', () => {
  let server: S3TestServer;
  const savedEnvironment = { ...process.env };
  let storage: S3StorageDriver;
  /** The S3 operations the driver sent, in order. */
  let sent: string[] = [];

  beforeAll(async () => {
    Object.assign(process.env, S3RVER_CREDENTIALS);
    server = new S3TestServer(await stablePort());
    await server.start();
    const client = createS3Client({
      bucket: server.bucket,
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
    });
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'recordOperations' },
    );
    storage = new S3StorageDriver(client, server.bucket);
  });

  beforeEach(() => {
    sent = [];
  });

  afterAll(async () => {
    storage?.client.destroy();
    await server?.dispose();
    process.env = savedEnvironment;
  });

  it('should store a small file in one put and read it back with its type and size', async () => {
    const content = pngFile(20, 20);
    const stored = await storage.put('cover/small.png', Readable.from([content]), {
      maxBytes: 1024 * 1024,
      contentType: 'image/png',
    });
    expect(stored).toEqual({
      path: 'cover/small.png',
      size: content.length,
      contentType: 'image/png',
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      lastModified: expect.any(Date),
    });
    await expect(storage.stat('cover/small.png')).resolves.toEqual(stored);
    const opened = await storage.read('cover/small.png');
    expect(opened?.file).toEqual(stored);
    expect(await bytesOf(opened!.body)).toEqual(content);
  });

  it('should store a file larger than a part as a multipart upload of 5 MiB parts', async () => {
    const content = bigPng(2 * S3_PART_SIZE + 1024 * 1024);
    expect(content.length).toBeGreaterThan(2 * S3_PART_SIZE);
    const stored = await storage.put('cover/large.png', chunked(content), {
      maxBytes: 20 * 1024 * 1024,
      contentType: 'image/png',
    });
    expect(stored).toMatchObject({ path: 'cover/large.png', size: content.length });
    expect(sent).toEqual([
      'CreateMultipartUpload',
      'UploadPart',
      'UploadPart',
      'UploadPart',
      'CompleteMultipartUpload',
      'HeadObject',
    ]);
    const opened = await storage.read('cover/large.png');
    expect((await bytesOf(opened!.body)).equals(content)).toBe(true);
  });

  it('should refuse a one-part file over the limit and store nothing', async () => {
    const content = pngFile(100, 100, 0);
    await expect(
      storage.put('cover/over.png', Readable.from([content]), {
        maxBytes: content.length - 1,
        contentType: 'image/png',
      }),
    ).rejects.toBeInstanceOf(FileTooLargeError);
    expect(sent).toEqual([]);
    await expect(storage.stat('cover/over.png')).resolves.toBeUndefined();
  });

  it('should abort a multipart upload that goes over the limit, parts and all', async () => {
    const content = bigPng(3 * S3_PART_SIZE);
    await expect(
      storage.put('cover/over-large.png', chunked(content), {
        maxBytes: 2 * S3_PART_SIZE,
        contentType: 'image/png',
      }),
    ).rejects.toBeInstanceOf(FileTooLargeError);
    // s3rver answers AbortMultipartUpload with NotImplemented (it keeps the parts); S3 and
    // compatible stores drop them: what matters here is that the driver asks, and never completes.
    expect(sent).toContain('AbortMultipartUpload');
    expect(sent).not.toContain('CompleteMultipartUpload');
    await expect(storage.stat('cover/over-large.png')).resolves.toBeUndefined();
  });

  it('should keep the content type it was given (the caller sniffs it)', async () => {
    await storage.put('grill/notes.bin', Readable.from([TEXT_FILE]), {
      maxBytes: 1024,
      contentType: 'application/octet-stream',
    });
    await expect(storage.stat('grill/notes.bin')).resolves.toMatchObject({
      contentType: 'application/octet-stream',
      size: TEXT_FILE.length,
    });
  });

  it('should delete a file, and treat deleting a missing one as done', async () => {
    await storage.put('grill/x.png', Readable.from([pngFile()]), {
      maxBytes: 1024,
      contentType: 'image/png',
    });
    await storage.delete('grill/x.png');
    await expect(storage.stat('grill/x.png')).resolves.toBeUndefined();
    await expect(storage.read('grill/x.png')).resolves.toBeUndefined();
    await expect(storage.delete('grill/x.png')).resolves.toBeUndefined();
  });

  it('should refuse a path no stored file may have, and find nothing there', async () => {
    await expect(
      storage.put('../escape.png', Readable.from([pngFile()]), {
        maxBytes: 1024,
        contentType: 'image/png',
      }),
    ).rejects.toBeInstanceOf(InvalidStoragePathError);
    await expect(storage.stat('../escape.png')).resolves.toBeUndefined();
  });

  /** A store that takes connections and never answers; `client` talks to it. */
  async function silentStore(): Promise<{ client: S3Client; close: () => void }> {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const client = createS3Client({
      bucket: server.bucket,
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
    });
    return {
      client,
      close: () => {
        client.destroy();
        for (const socket of held) socket.destroy();
        silent.close();
      },
    };
  }

  // The file clean-up deletes while it holds its row (SQLite: the write queue): a silent store
  // must not hold them for good.
  it(`should give up a delete the store does not answer after ${S3_DELETE_TIMEOUT_MS} ms`, async () => {
    const silent = await silentStore();
    const started = Date.now();
    try {
      await expect(
        new S3StorageDriver(silent.client, server.bucket).delete('cover/x.png'),
      ).rejects.toThrow();
      expect(Date.now() - started).toBeGreaterThanOrEqual(S3_DELETE_TIMEOUT_MS - 100);
      expect(Date.now() - started).toBeLessThan(S3_DELETE_TIMEOUT_MS + 3000);
    } finally {
      silent.close();
    }
  });

  // Found by a probe: a frozen store held an upload past the client's patience, and its row was
  // committed once the store woke, with nobody answered.
  it(`should give up a put the store does not answer after three tries of ${S3_IDLE_TIMEOUT_MS} ms of silence, a 503`, async () => {
    const silent = await silentStore();
    const started = Date.now();
    try {
      const failure = await new S3StorageDriver(silent.client, server.bucket)
        .put('cover/silent.png', Readable.from([pngFile()]), {
          maxBytes: 1024,
          contentType: 'image/png',
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      // Three attempts (the SDK's retries), each given up after the idle limit.
      expect(Date.now() - started).toBeGreaterThanOrEqual(3 * S3_IDLE_TIMEOUT_MS - 100);
      expect(Date.now() - started).toBeLessThan(3 * S3_IDLE_TIMEOUT_MS + 5000);
      expect(toErrorResponse(failure)).toMatchObject({
        status: 503,
        body: { message: 'Service Unavailable.' },
      });
    } finally {
      silent.close();
    }
  }, 40_000);

  // Found by a probe: a bucket the store does not have was taken, and every upload was a 500.
  it('should refuse to start with a bucket the store does not have, and start with its own', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    await expect(
      new S3StorageDriver(storage.client, 'no-such-bucket').checkBucket(logger),
    ).rejects.toThrow('S3_BUCKET names a bucket the store does not have: no-such-bucket');
    await expect(storage.checkBucket(logger)).resolves.toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('should start all the same when the store does not answer the bucket check, saying so', async () => {
    const silent = await silentStore();
    const warnings: string[] = [];
    try {
      await new S3StorageDriver(silent.client, server.bucket).checkBucket({
        warn: (message) => warnings.push(message),
      });
    } finally {
      silent.close();
    }
    expect(warnings).toEqual([
      `S3: could not check that the bucket ${server.bucket} exists (AbortError); starting anyway`,
    ]);
  }, 30_000);

  it('should fail, not answer "missing", while the store is down, and work again when it is back', async () => {
    await storage.put('cover/kept.png', Readable.from([pngFile()]), {
      maxBytes: 1024,
      contentType: 'image/png',
    });
    await server.stop();
    try {
      await expect(storage.stat('cover/kept.png')).rejects.toThrow();
      await expect(storage.delete('cover/kept.png')).rejects.toThrow();
    } finally {
      await server.start();
    }
    await expect(storage.stat('cover/kept.png')).resolves.toMatchObject({ path: 'cover/kept.png' });
  });
});
