import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { S3StorageConfig } from '../config/storage-config';
import { ByteLimit } from './byte-limit';
import { UNKNOWN_CONTENT_TYPE } from './image-type';
import type { OpenedFile, PutOptions, StorageDriver, StoredFile } from './storage-driver';
import { assertStoragePath, isStoragePath } from './storage-path';

/** S3's smallest part: a file up to this size is one PutObject, a larger one a multipart upload. */
export const S3_PART_SIZE = 5 * 1024 * 1024;
/** Parts uploaded at once; an upload holds at most this many parts in memory. */
const S3_QUEUE_SIZE = 2;

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' ||
      error.name === 'NoSuchKey' ||
      error.$metadata.httpStatusCode === 404)
  );
}

/** The longest one delete may wait for the store. */
export const S3_DELETE_TIMEOUT_MS = 5000;
/** The longest a connection to the store may take to open. */
export const S3_CONNECT_TIMEOUT_MS = 2000;
/**
 * The longest a request to the store may go with no byte moving either way: a store that stops
 * answering fails the request (503) rather than holding it. The SDK sets no limit of its own, and
 * an upload to a frozen store went unanswered until the client gave up, then committed its row
 * when the store woke (found by a probe). An idle limit, so that a large file still takes as long
 * as it takes. The SDK tries a request three times: a silent store fails an upload after about
 * 15 s, within the 30 s a request may take to arrive and the 40 s a connection may idle.
 */
export const S3_IDLE_TIMEOUT_MS = 5000;
/** The longest the start-up check of the bucket waits for the store. */
export const S3_CHECK_TIMEOUT_MS = 3000;

/** The client for a bucket on AWS S3 or any S3-compatible store; credentials from the AWS chain. */
export function createS3Client(config: S3StorageConfig, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle,
    requestHandler: {
      connectionTimeout: S3_CONNECT_TIMEOUT_MS,
      socketTimeout: S3_IDLE_TIMEOUT_MS,
    },
    // Checksums only where S3 requires them: S3-compatible stores differ in the newer
    // (CRC32, aws-chunked) ones, and every put is checked by its length anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}

/**
 * Files as objects of one bucket, keyed by their path. A put streams the content: up to 5 MiB as
 * one PutObject, more as a multipart upload of 5 MiB parts (`@aws-sdk/lib-storage`), aborted, with
 * its parts, when it fails or goes over the limit.
 */
export class S3StorageDriver implements StorageDriver {
  readonly name = 's3' as const;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(path: string, content: Readable, options: PutOptions): Promise<StoredFile> {
    assertStoragePath(path);
    const limited = new ByteLimit(options.maxBytes);
    // The limit's error reaches the upload through the stream it reads.
    content.once('error', (error) => limited.destroy(error));
    content.pipe(limited);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: path, Body: limited, ContentType: options.contentType },
      partSize: S3_PART_SIZE,
      queueSize: S3_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      content.destroy();
      limited.destroy();
      throw limited.errored ?? error;
    }
    const file = await this.stat(path);
    if (file === undefined)
      throw new Error(`"${path}" is not in the bucket right after its upload.`);
    return file;
  }

  close(): void {
    this.client.destroy();
  }

  /**
   * Refuses to start with a bucket the store does not have: every upload was a 500 while the
   * readiness check said 200 (found by a probe). Only a definite "no such bucket" stops it: a store
   * out of reach, or a key without `s3:ListBucket` (which HeadBucket needs, and uploads do not), is
   * told in the log, and the service starts.
   */
  async checkBucket(logger: { warn(message: string): void }): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(S3_CHECK_TIMEOUT_MS),
      });
    } catch (error) {
      if (isNotFound(error)) {
        throw new Error(`S3_BUCKET names a bucket the store does not have: ${this.bucket}`);
      }
      logger.warn(
        `S3: could not check that the bucket ${this.bucket} exists (${error instanceof Error ? error.name : String(error)}); starting anyway`,
      );
    }
  }

  /**
   * Fails after `S3_DELETE_TIMEOUT_MS` when the store does not answer: the file clean-up deletes
   * while it holds its row (and, on SQLite, the write queue), and a silent store would hold them
   * for good (the SDK sets no time limit of its own).
   */
  async delete(path: string): Promise<void> {
    if (!isStoragePath(path)) return;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: path }), {
      abortSignal: AbortSignal.timeout(S3_DELETE_TIMEOUT_MS),
    });
  }

  async stat(path: string): Promise<StoredFile | undefined> {
    if (!isStoragePath(path)) return undefined;
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: path }),
      );
      return this.describe(path, head);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async read(path: string): Promise<OpenedFile | undefined> {
    if (!isStoragePath(path)) return undefined;
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: path }),
      );
      return { file: this.describe(path, object), body: object.Body as Readable };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private describe(
    path: string,
    object: { ContentLength?: number; ContentType?: string; ETag?: string; LastModified?: Date },
  ): StoredFile {
    return {
      path,
      size: object.ContentLength ?? 0,
      contentType: object.ContentType ?? UNKNOWN_CONTENT_TYPE,
      etag: object.ETag ?? '""',
      lastModified: object.LastModified ?? new Date(0),
    };
  }
}
