import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** Where image files live (docs/storage.md). */
export type StorageDriverName = 'local' | 's3';

export interface S3StorageConfig {
  readonly bucket: string;
  /** Any S3-compatible endpoint; absent: AWS S3 itself. */
  readonly endpoint?: string;
  readonly region: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (most self-hosted stores). */
  readonly forcePathStyle: boolean;
}

export interface StorageConfig {
  readonly driver: StorageDriverName;
  /** The local driver's folder (absolute); also read with the S3 driver, where it is unused. */
  readonly directory: string;
  /** Present when `driver` is `s3`. Credentials come from the AWS SDK's usual chain. */
  readonly s3?: S3StorageConfig;
  /** The largest upload taken by `POST /api/image` (multipart), in bytes. */
  readonly uploadMaxBytes: number;
  /** Trashed images older than this many days are force-deleted by the daily prune; 0: never. */
  readonly pruneTrashedAfterDays: number;
}

export const DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024;
const MAX_UPLOAD_MAX_BYTES = 5 * 1024 * 1024 * 1024;
const DRIVERS: readonly StorageDriverName[] = ['local', 's3'];
/** AWS's bucket naming rules, which S3-compatible stores follow. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The helpers of `parseConfig`, each adding one problem per bad variable. */
export interface ConfigReaders {
  /** A trimmed value, or undefined when unset or blank. */
  readonly read: (name: string) => string | undefined;
  readonly integer: (name: string, fallback: number, min: number, max: number) => number;
  readonly boolean: (name: string, fallback: boolean) => boolean;
  /** An absolute http(s) URL without trailing slashes, or undefined (unset or bad). */
  readonly httpUrl: (name: string) => string | undefined;
}

/**
 * `STORAGE_DRIVER`, `STORAGE_DIR`, the `S3_*` settings, `UPLOAD_MAX_BYTES` and
 * `PRUNE_TRASHED_AFTER_DAYS`. Relative folders resolve from `cwd`; `STORAGE_DIR` defaults to
 * `DATA_DIR/images`.
 */
export function parseStorageConfig(
  readers: ConfigReaders,
  dataDir: string,
  cwd: string,
  problems: string[],
): StorageConfig {
  const { read, integer, boolean, httpUrl } = readers;
  const rawDriver = (read('STORAGE_DRIVER') ?? 'local').toLowerCase();
  const driver = DRIVERS.find((name) => name === rawDriver);
  if (driver === undefined) {
    problems.push(
      `STORAGE_DRIVER must be one of ${DRIVERS.join(', ')} (got "${read('STORAGE_DRIVER')}")`,
    );
  }
  const rawDirectory = read('STORAGE_DIR');
  const directory =
    rawDirectory === undefined
      ? join(dataDir, 'images')
      : isAbsolute(rawDirectory)
        ? rawDirectory
        : resolve(cwd, rawDirectory);

  const bucket = read('S3_BUCKET');
  const endpoint = httpUrl('S3_ENDPOINT');
  const region = read('S3_REGION') ?? read('AWS_REGION') ?? 'us-east-1';
  const forcePathStyle = boolean('S3_FORCE_PATH_STYLE', false);
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) {
    problems.push(
      `S3_BUCKET must be 3 to 63 lower-case letters, digits, dots or hyphens (got "${bucket}")`,
    );
  } else if (driver === 's3' && bucket === undefined) {
    problems.push('S3_BUCKET must be set when STORAGE_DRIVER is s3');
  }
  if (!/^[a-z0-9-]+$/.test(region)) {
    // The variable the value came from (AWS_REGION stands in for an unset S3_REGION).
    const name = read('S3_REGION') === undefined ? 'AWS_REGION' : 'S3_REGION';
    problems.push(`${name} must be a region name such as "us-east-1" (got "${region}")`);
  }

  return {
    driver: driver ?? 'local',
    directory,
    ...(driver === 's3' && bucket !== undefined
      ? { s3: { bucket, region, forcePathStyle, ...(endpoint ? { endpoint } : {}) } }
      : {}),
    uploadMaxBytes: integer('UPLOAD_MAX_BYTES', DEFAULT_UPLOAD_MAX_BYTES, 1, MAX_UPLOAD_MAX_BYTES),
    pruneTrashedAfterDays: integer('PRUNE_TRASHED_AFTER_DAYS', 7, 0, 36_500),
  };
}

/** Whether `path` is `folder` or lies inside it (lexically, both absolute). */
function lexicallyWithin(folder: string, path: string): boolean {
  const rest = relative(folder, path);
  return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
}

/** Where `path` is once its links are followed, as far as it exists (the rest appended as written). */
function realPathOf(path: string): string {
  const rest: string[] = [];
  for (let existing = path; ; existing = dirname(existing)) {
    try {
      return join(realpathSync(existing), ...rest.reverse());
    } catch {
      if (dirname(existing) === existing) return path;
      rest.push(basename(existing));
    }
  }
}

/**
 * Whether `path` is `folder` or under it, as written or once links are followed (the driver
 * serves the real folder).
 */
function within(folder: string, path: string): boolean {
  return lexicallyWithin(folder, path) || lexicallyWithin(realPathOf(folder), realPathOf(path));
}

/**
 * The local driver serves everything under `STORAGE_DIR` at `/storage/images/`, so it must hold
 * neither `DATA_DIR` (the generated JWT and cursor secrets) nor the SQLite file: a `STORAGE_DIR`
 * of `.` or of `DATA_DIR` itself served the secret, and a force delete of an image named after it
 * removed it (found by a probe); so did a `STORAGE_DIR` that is a link to `DATA_DIR` (found by
 * another), hence real paths too.
 */
export function servedFolderProblem(
  storage: StorageConfig,
  dataDir: string,
  sqlitePath: string | undefined,
): string | undefined {
  if (storage.driver !== 'local') return undefined;
  const held = [
    within(storage.directory, dataDir) ? `DATA_DIR (${dataDir})` : undefined,
    sqlitePath !== undefined && within(storage.directory, sqlitePath)
      ? `the SQLite database (${sqlitePath})`
      : undefined,
  ].filter((what) => what !== undefined);
  if (held.length === 0) return undefined;
  return `STORAGE_DIR (${storage.directory}) must not hold ${held.join(' or ')}: every file under it is served publicly at /storage/images/`;
}
