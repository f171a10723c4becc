import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from './app-config';

const CWD = '/srv/image-api';
const storageOf = (env: Record<string, string>) => parseConfig(env, CWD).storage;

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env, CWD);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe('storage configuration (STORAGE_*, S3_*, UPLOAD_MAX_BYTES, PRUNE_TRASHED_AFTER_DAYS)', () => {
  it('should use the local driver in DATA_DIR/images, 10 MiB uploads and a 7-day prune by default', () => {
    expect(storageOf({})).toEqual({
      driver: 'local',
      directory: `${CWD}/data/images`,
      uploadMaxBytes: 10_485_760,
      pruneTrashedAfterDays: 7,
    });
  });

  it('should follow DATA_DIR and resolve a relative STORAGE_DIR from the working directory', () => {
    expect(storageOf({ DATA_DIR: '/var/lib/image-api' }).directory).toBe(
      '/var/lib/image-api/images',
    );
    expect(storageOf({ STORAGE_DIR: 'files' }).directory).toBe(`${CWD}/files`);
    expect(storageOf({ STORAGE_DIR: '/mnt/images' }).directory).toBe('/mnt/images');
  });

  it('should read the S3 settings when STORAGE_DRIVER is s3', () => {
    expect(
      storageOf({
        STORAGE_DRIVER: 'S3',
        S3_BUCKET: 'anime-images',
        S3_ENDPOINT: 'http://127.0.0.1:9000/',
        S3_REGION: 'eu-central-1',
        S3_FORCE_PATH_STYLE: 'true',
      }).s3,
    ).toEqual({
      bucket: 'anime-images',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-central-1',
      forcePathStyle: true,
    });
  });

  it('should take the region from AWS_REGION, else us-east-1, and AWS S3 itself without an endpoint', () => {
    expect(storageOf({ STORAGE_DRIVER: 's3', S3_BUCKET: 'images' }).s3).toEqual({
      bucket: 'images',
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(
      storageOf({ STORAGE_DRIVER: 's3', S3_BUCKET: 'images', AWS_REGION: 'ap-northeast-1' }).s3
        ?.region,
    ).toBe('ap-northeast-1');
  });

  it('should leave the S3 settings out with the local driver', () => {
    expect(storageOf({ S3_BUCKET: 'images' }).s3).toBeUndefined();
  });

  it.each([
    [{ STORAGE_DRIVER: 'gcs' }, 'STORAGE_DRIVER must be one of local, s3 (got "gcs")'],
    [{ STORAGE_DRIVER: 's3' }, 'S3_BUCKET must be set when STORAGE_DRIVER is s3'],
    [
      { STORAGE_DRIVER: 's3', S3_BUCKET: 'Images_2' },
      'S3_BUCKET must be 3 to 63 lower-case letters, digits, dots or hyphens (got "Images_2")',
    ],
    [
      { STORAGE_DRIVER: 's3', S3_BUCKET: 'images', S3_ENDPOINT: 'minio:9000' },
      'S3_ENDPOINT must be an absolute http(s) URL (got "minio:9000")',
    ],
    [
      { STORAGE_DRIVER: 's3', S3_BUCKET: 'images', S3_REGION: 'EU West' },
      'S3_REGION must be a region name such as "us-east-1" (got "EU West")',
    ],
    [
      { STORAGE_DRIVER: 's3', S3_BUCKET: 'images', AWS_REGION: 'EU-west' },
      'AWS_REGION must be a region name such as "us-east-1" (got "EU-west")',
    ],
    [
      { S3_FORCE_PATH_STYLE: 'sometimes' },
      'S3_FORCE_PATH_STYLE must be true or false (got "sometimes")',
    ],
    [
      { UPLOAD_MAX_BYTES: '0' },
      'UPLOAD_MAX_BYTES must be an integer from 1 to 5368709120 (got "0")',
    ],
    [
      { UPLOAD_MAX_BYTES: '10MB' },
      'UPLOAD_MAX_BYTES must be an integer from 1 to 5368709120 (got "10MB")',
    ],
    [
      { PRUNE_TRASHED_AFTER_DAYS: '-1' },
      'PRUNE_TRASHED_AFTER_DAYS must be an integer from 0 to 36500 (got "-1")',
    ],
  ])('should refuse %j', (env, problem) => {
    expect(problemsOf(env as Record<string, string>)).toEqual([problem]);
  });

  // Found by a probe: every file under STORAGE_DIR is served, the generated secrets included.
  it.each([
    [
      { STORAGE_DIR: '.' },
      'STORAGE_DIR (/srv/image-api) must not hold DATA_DIR (/srv/image-api/data) or the SQLite database (/srv/image-api/data/image-api.sqlite): every file under it is served publicly at /storage/images/',
    ],
    [
      { DATA_DIR: '/var/lib/api', STORAGE_DIR: '/var/lib/api' },
      'STORAGE_DIR (/var/lib/api) must not hold DATA_DIR (/var/lib/api) or the SQLite database (/var/lib/api/image-api.sqlite): every file under it is served publicly at /storage/images/',
    ],
    [
      { DATABASE_URL: 'sqlite:/srv/files/db.sqlite', STORAGE_DIR: '/srv/files' },
      'STORAGE_DIR (/srv/files) must not hold the SQLite database (/srv/files/db.sqlite): every file under it is served publicly at /storage/images/',
    ],
  ])('should refuse a STORAGE_DIR that holds what must stay private: %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  // Found by a probe: the check compared the paths as written, and the driver serves the real folder.
  it('should refuse a STORAGE_DIR that reaches DATA_DIR through a link, either way round', () => {
    const root = mkdtempSync(join(tmpdir(), 'storage-config-'));
    try {
      mkdirSync(join(root, 'data'));
      symlinkSync(join(root, 'data'), join(root, 'files'));
      mkdirSync(join(root, 'public', 'data'), { recursive: true });
      symlinkSync(join(root, 'public', 'data'), join(root, 'data-link'));
      const problem = (storage: string, data: string) =>
        `STORAGE_DIR (${storage}) must not hold DATA_DIR (${data}) or the SQLite database (${data}/image-api.sqlite): every file under it is served publicly at /storage/images/`;
      expect(problemsOf({ DATA_DIR: `${root}/data`, STORAGE_DIR: `${root}/files` })).toEqual([
        problem(`${root}/files`, `${root}/data`),
      ]);
      // DATA_DIR through a link to a folder under STORAGE_DIR.
      expect(problemsOf({ DATA_DIR: `${root}/data-link`, STORAGE_DIR: `${root}/public` })).toEqual([
        problem(`${root}/public`, `${root}/data-link`),
      ]);
      expect(storageOf({ DATA_DIR: `${root}/data`, STORAGE_DIR: `${root}/public` }).directory).toBe(
        `${root}/public`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should take a STORAGE_DIR beside DATA_DIR or inside it, and any folder with S3', () => {
    expect(
      storageOf({ DATA_DIR: '/var/lib/api', STORAGE_DIR: '/var/lib/api/images' }).directory,
    ).toBe('/var/lib/api/images');
    expect(
      storageOf({ DATA_DIR: '/var/lib/api', STORAGE_DIR: '/var/lib/api-files' }).directory,
    ).toBe('/var/lib/api-files');
    expect(storageOf({ STORAGE_DIR: '.', STORAGE_DRIVER: 's3', S3_BUCKET: 'images' }).driver).toBe(
      's3',
    );
    expect(
      storageOf({ STORAGE_DIR: '/srv/files', DATABASE_URL: 'sqlite::memory:', DATA_DIR: '/x' })
        .directory,
    ).toBe('/srv/files');
  });

  it('should read UPLOAD_MAX_BYTES and PRUNE_TRASHED_AFTER_DAYS (0 turns pruning off)', () => {
    expect(storageOf({ UPLOAD_MAX_BYTES: '1048576', PRUNE_TRASHED_AFTER_DAYS: '0' })).toMatchObject(
      {
        uploadMaxBytes: 1_048_576,
        pruneTrashedAfterDays: 0,
      },
    );
  });
});
