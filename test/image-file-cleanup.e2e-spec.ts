import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { ImageFileCleanup, STORAGE_DELETIONS_TABLE } from '../src/image/image-file-cleanup';
import { STORAGE_DRIVER, type StorageDriver } from '../src/storage';
import { pngFile } from '../src/storage/testing/image-files';
import { insertImageRow } from './helpers/image-rows';
import { S3RVER_CREDENTIALS, S3TestServer } from './helpers/s3-server';
import { createTestApp, describeEachDatabase, type TestApp } from './helpers/test-app';

/** Schedules the deletion of `path` in a transaction; its commit hooks run once it committed. */
async function scheduleInTransaction(
  testApp: TestApp,
  path: string,
  outcome: 'commit' | 'rollback' = 'commit',
): Promise<void> {
  const cleanup = testApp.app.get(ImageFileCleanup);
  const hooks: (() => void)[] = [];
  await testApp.dataSource
    .transaction(async (manager) => {
      await cleanup.schedule(
        {
          execute: (sql, parameters) => manager.query(sql, parameters as unknown[]),
          afterCommit: (listener) => hooks.push(listener),
        },
        path,
      );
      if (outcome === 'rollback') throw new Error('rolled back');
    })
    .catch((error: unknown) => {
      if (outcome !== 'rollback') throw error;
    });
  if (outcome === 'commit') for (const hook of hooks) hook();
}

const pending = (dataSource: DataSource) =>
  dataSource.query<{ path: string; attempts: number | string; last_error: string | null }[]>(
    `SELECT path, attempts, last_error FROM ${STORAGE_DELETIONS_TABLE} ORDER BY storage_deletion_id`,
  );

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await sleep(50);
  }
}

const put = (storage: StorageDriver, path: string) =>
  storage.put(path, Readable.from([pngFile()]), { maxBytes: 1024, contentType: 'image/png' });

/**
 * The outbox-style removal of stored files: a file goes once the transaction that scheduled it
 * commits (never after a rollback), a file another image still names stays, and a store that is
 * down only delays it.
 */
describeEachDatabase('image file clean-up (storage_deletions)', (context) => {
  let storage: StorageDriver;

  beforeAll(() => {
    storage = context().app.get<StorageDriver>(STORAGE_DRIVER);
  });

  it('should remove the file after the commit, and its row', async () => {
    await put(storage, 'cover/gone.png');
    await scheduleInTransaction(context(), 'cover/gone.png');
    await waitFor(async () => (await storage.stat('cover/gone.png')) === undefined);
    await waitFor(async () => (await pending(context().dataSource)).length === 0);
  });

  it('should keep the file when the transaction rolls back', async () => {
    await put(storage, 'cover/kept.png');
    await scheduleInTransaction(context(), 'cover/kept.png', 'rollback');
    await context().app.get(ImageFileCleanup).wake();
    expect(await pending(context().dataSource)).toEqual([]);
    expect(await storage.stat('cover/kept.png')).toMatchObject({ path: 'cover/kept.png' });
  });

  it('should keep a file that another image still names, and drop the row', async () => {
    await put(storage, 'cover/shared.png');
    await insertImageRow(context().dataSource, { path: 'cover/shared.png', facet: 1 });
    await scheduleInTransaction(context(), 'cover/shared.png');
    await waitFor(async () => (await pending(context().dataSource)).length === 0);
    expect(await storage.stat('cover/shared.png')).toMatchObject({ path: 'cover/shared.png' });
  });

  it('should schedule nothing for a path no stored file can have', async () => {
    await scheduleInTransaction(context(), 'cover//odd.png');
    expect(await pending(context().dataSource)).toEqual([]);
  });
});

describe('image file clean-up while the S3 store is down', () => {
  const server = new S3TestServer(35111);
  const savedEnvironment = { ...process.env };
  let testApp: TestApp;
  let storage: StorageDriver;

  beforeAll(async () => {
    Object.assign(process.env, S3RVER_CREDENTIALS);
    await server.start();
    testApp = await createTestApp('sqlite', {
      env: {
        STORAGE_DRIVER: 's3',
        S3_BUCKET: server.bucket,
        S3_ENDPOINT: server.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        OUTBOX_RETRY_MAX_MS: '1000',
      },
    });
    storage = testApp.app.get<StorageDriver>(STORAGE_DRIVER);
  });

  afterAll(async () => {
    await testApp?.close();
    await server.dispose();
    process.env = savedEnvironment;
  });

  it('should keep trying while the store is down, and remove the file once it is back', async () => {
    await put(storage, 'cover/outage.png');
    await server.stop();
    try {
      await scheduleInTransaction(testApp, 'cover/outage.png');
      // The attempts fail, and are counted, while the store is away.
      await waitFor(async () => Number((await pending(testApp.dataSource))[0]?.attempts ?? 0) >= 2);
      const [row] = await pending(testApp.dataSource);
      expect(row.path).toBe('cover/outage.png');
      expect(row.last_error).not.toBeNull();
    } finally {
      await server.start();
    }
    await waitFor(async () => (await pending(testApp.dataSource)).length === 0);
    expect(await storage.stat('cover/outage.png')).toBeUndefined();
  });
});
