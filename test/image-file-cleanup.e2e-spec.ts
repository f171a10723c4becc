import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { UnitOfWork } from '../src/database/unit-of-work';
import { ImageFileCleanup, STORAGE_DELETIONS_TABLE } from '../src/image/image-file-cleanup';
import { LocalStorageDriver, STORAGE_DRIVER, type StorageDriver } from '../src/storage';
import { pngFile } from '../src/storage/testing/image-files';
import { multipartForm } from '../src/storage/testing/multipart-form';
import { insertImageRow } from './helpers/image-rows';
import { stablePort } from './helpers/ports';
import { S3RVER_CREDENTIALS, S3TestServer } from './helpers/s3-server';
import { createTestApp, describeEachDatabase, type TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { signTestToken } from './helpers/tokens';
import { waitFor } from './helpers/wait-for';

/** Schedules the deletion of `path` in a unit-of-work transaction (its listeners run after commit). */
async function scheduleInTransaction(
  testApp: TestApp,
  path: string,
  outcome: 'commit' | 'rollback' = 'commit',
): Promise<void> {
  const cleanup = testApp.app.get(ImageFileCleanup);
  await testApp.app
    .get(UnitOfWork)
    .run(async (transaction) => {
      await cleanup.schedule(transaction, path);
      if (outcome === 'rollback') throw new Error('rolled back');
    })
    .catch((error: unknown) => {
      if (outcome !== 'rollback') throw error;
    });
}

const pending = (dataSource: DataSource) =>
  dataSource.query<{ path: string; attempts: number | string; last_error: string | null }[]>(
    `SELECT path, attempts, last_error FROM ${STORAGE_DELETIONS_TABLE} ORDER BY storage_deletion_id`,
  );

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
    await waitFor(
      'the file to go',
      async () => (await storage.stat('cover/gone.png')) === undefined,
    );
    await waitFor('no pending row', async () => (await pending(context().dataSource)).length === 0);
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
    await waitFor('no pending row', async () => (await pending(context().dataSource)).length === 0);
    expect(await storage.stat('cover/shared.png')).toMatchObject({ path: 'cover/shared.png' });
  });

  // Found by a black-box probe: through a folder link `alias/x.png` is `cover/x.png`, and a force
  // delete of the image that named the first removed the file an image still named by the second.
  it('should keep a file that another image names by the path a folder link leads to', async () => {
    const root = (storage as LocalStorageDriver).root;
    await put(storage, 'cover/linked.png');
    symlinkSync(join(root, 'cover'), join(root, 'cover-alias'));
    await insertImageRow(context().dataSource, { path: 'cover/linked.png', facet: 1 });
    await scheduleInTransaction(context(), 'cover-alias/linked.png');
    await waitFor('no pending row', async () => (await pending(context().dataSource)).length === 0);
    expect(await storage.stat('cover/linked.png')).toMatchObject({ path: 'cover/linked.png' });
    // With no image naming it either way, the file goes through the link too.
    await context().dataSource.query('DELETE FROM images WHERE path = ?', ['cover/linked.png']);
    await scheduleInTransaction(context(), 'cover-alias/linked.png');
    await waitFor(
      'the file to go',
      async () => (await storage.stat('cover/linked.png')) === undefined,
    );
  });

  // Found by a probe: MySQL's `=` ignores case and trailing spaces, so an image named
  // `cover/abc.png` kept `cover/ABC.png` from ever being removed.
  it('should remove a file that other images name only in another case or with a trailing space', async () => {
    await put(storage, 'cover/MixedCase.png');
    await insertImageRow(context().dataSource, { path: 'cover/mixedcase.png', facet: 1 });
    await insertImageRow(context().dataSource, { path: 'cover/MixedCase.png ', facet: 1 });
    await scheduleInTransaction(context(), 'cover/MixedCase.png');
    await waitFor(
      'the file to go',
      async () => (await storage.stat('cover/MixedCase.png')) === undefined,
    );
    expect(await pending(context().dataSource)).toEqual([]);
  });

  // Found by a probe: a create naming the file, committed between the removal's check and its
  // delete, was answered 201 and then its file vanished. The create is sent (through the API)
  // right before the removal deletes the file, and given 300 ms to commit first.
  it.each([
    ['a create', 'post'],
    ['an update of its path', 'patch'],
  ] as const)(
    'should never remove a file that %s named before the removal deleted it',
    async (_kind, method) => {
      const path = `cover/raced-${method}.png`;
      await put(storage, path);
      const { image_id: other } = await insertImageRow(context().dataSource);
      const realDelete = storage.delete.bind(storage);
      let answered: Promise<{ status: number; at: number }> | undefined;
      let deletedAt = 0;
      storage.delete = async (target: string) => {
        const http = context().http();
        const request =
          method === 'post' ? http.post('/api/image') : http.patch(`/api/image/${other}`);
        answered = request
          .set('Authorization', `Bearer ${signTestToken()}`)
          .send({ path, facet: 'Cover' })
          .then((response) => ({ status: response.status, at: performance.now() }));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await realDelete(target);
        deletedAt = performance.now();
      };
      try {
        await scheduleInTransaction(context(), path);
        await waitFor('the create to be sent', () => answered !== undefined);
        const { status, at } = await answered!;
        expect(status).toBe(method === 'post' ? 201 : 200);
        await waitFor(
          'no pending row',
          async () => (await pending(context().dataSource)).length === 0,
        );
        // Either the write came first and the file stays, or the removal did and it was answered after.
        const stored = (await storage.stat(path)) !== undefined;
        expect({ stored, answeredAfterTheDelete: deletedAt > 0 && at > deletedAt }).toEqual(
          deletedAt === 0
            ? { stored: true, answeredAfterTheDelete: false }
            : { stored: false, answeredAfterTheDelete: true },
        );
      } finally {
        storage.delete = realDelete;
      }
    },
  );

  it('should schedule nothing for a path no stored file can have', async () => {
    await scheduleInTransaction(context(), 'cover//odd.png');
    expect(await pending(context().dataSource)).toEqual([]);
  });
});

/**
 * The S3 driver on a real S3-protocol server (s3rver, on a port of its own)
 * that goes away during a force delete through the API: the row is gone at once, the file once the
 * server is back.
 */
describe.each(testDatabaseKinds())('force delete while the S3 store is down [%s]', (kind) => {
  let server: S3TestServer;
  const savedEnvironment = { ...process.env };
  let testApp: TestApp;
  let storage: StorageDriver;

  beforeAll(async () => {
    Object.assign(process.env, S3RVER_CREDENTIALS);
    server = new S3TestServer(await stablePort());
    await server.start();
    testApp = await createTestApp(kind, {
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
    await server?.dispose();
    process.env = savedEnvironment;
  });

  it('should delete the row at once and remove the file once the store is back', async () => {
    const auth = `Bearer ${signTestToken()}`;
    const { body, contentType } = multipartForm([
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: pngFile() },
    ]);
    const created = await testApp
      .http()
      .post('/api/image')
      .set('Authorization', auth)
      .set('Content-Type', contentType)
      .send(body);
    expect(created.status).toBe(201);
    const image = (created.body as { image: { image_id: number; path: string } }).image;
    expect(await storage.stat(image.path)).toMatchObject({ path: image.path });

    await server.stop();
    try {
      const answer = await testApp
        .http()
        .delete(`/api/forceDelete/image/${image.image_id}`)
        .set('Authorization', auth);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ message: `Image '${image.path}' was deleted.` });
      expect(
        await testApp.dataSource.query('SELECT image_id FROM images WHERE image_id = ?', [
          image.image_id,
        ]),
      ).toEqual([]);
      await testApp.http().get(`/api/image/${image.image_id}`).expect(404);
      // The attempts fail, and are counted, while the store is away.
      await waitFor(
        'two failed attempts',
        async () => Number((await pending(testApp.dataSource))[0]?.attempts ?? 0) >= 2,
      );
      const [row] = await pending(testApp.dataSource);
      expect(row.path).toBe(image.path);
      expect(row.last_error).not.toBeNull();
    } finally {
      await server.start();
    }
    await waitFor(
      'the storage_deletions row to go',
      async () => (await pending(testApp.dataSource)).length === 0,
    );
    expect(await storage.stat(image.path)).toBeUndefined();
  });
});

// Found by a probe: a row whose instance died before its retry waited until this instance
// force-deleted something or restarted, since a pass ran only on those and on its own retries.
describe.each(testDatabaseKinds())('a row another instance left due [%s]', (kind) => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp(kind, { env: { OUTBOX_RETRY_MAX_MS: '1000' } });
    await testApp.app.get(ImageFileCleanup).drain();
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('should remove its file within OUTBOX_RETRY_MAX_MS, with nothing else happening here', async () => {
    const storage = testApp.app.get<StorageDriver>(STORAGE_DRIVER);
    await put(storage, 'cover/left-behind.png');
    await testApp.dataSource.query(
      `INSERT INTO ${STORAGE_DELETIONS_TABLE} (path, attempts, next_attempt_at, last_error, created_at) ` +
        "VALUES ('cover/left-behind.png', 2, '2026-01-01 00:00:00.000000', 'EPERM', '2026-01-01 00:00:00.000000')",
    );
    await waitFor(
      'the file to go',
      async () => (await storage.stat('cover/left-behind.png')) === undefined,
      5000,
    );
    await waitFor('its row to go', async () => (await pending(testApp.dataSource)).length === 0);
  });
});
