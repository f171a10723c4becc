import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ImageFileCleanup, UPLOAD_GUARD_MS } from '../../src/image/image-file-cleanup';
import { pngFile } from '../../src/storage/testing/image-files';
import { ProxiedApp, startProxiedApp } from '../helpers/proxied-app';

/**
 * An upload whose COMMIT reaches MariaDB but whose answer is lost (the connection resets after
 * the COMMIT went through the proxy the test owns): the service answers 503, cannot know whether
 * the row exists, and so keeps the file. Found by a black-box probe: the file was removed and the
 * committed row named a file that no longer existed, which a retry with the key then replayed as
 * a success. MariaDB only (SQLite has no network): `*.mysql.e2e-spec.ts` runs when TEST_MYSQL_URL names a server.
 */

describe('an upload whose commit answer is lost', () => {
  let service: ProxiedApp;

  beforeAll(async () => {
    service = await startProxiedApp();
  });

  afterAll(async () => {
    await service?.close();
  });

  it('should answer 503, keep the file the committed row names, and replay the 201 on a retry', async () => {
    const upload = () =>
      request(service.baseUrl)
        .post('/api/image')
        .set('Authorization', `Bearer ${service.token}`)
        .set('Idempotency-Key', 'commit-lost-1')
        .field('facet', 'Grill')
        .attach('file', pngFile(), 'grill.png');

    service.proxy.resetAfterSending('COMMIT');
    const lost = await upload();
    expect([lost.status, lost.body]).toEqual([503, { message: 'Service Unavailable.' }]);

    // The COMMIT was applied: the row is there, and its file too.
    const rows = await service.testApp.dataSource.query<{ image_id: number; path: string }[]>(
      "SELECT image_id, path FROM images WHERE path LIKE 'grill/%'",
    );
    expect(rows).toHaveLength(1);
    const [{ path }] = rows;
    expect(path).toMatch(/^grill\/[A-Za-z0-9]{40}\.png$/);
    const storageDir = service.testApp.config.storage.directory;
    expect(existsSync(join(storageDir, path))).toBe(true);

    const retried = await upload().expect(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body.image.path).toBe(path);
    expect(existsSync(join(storageDir, path))).toBe(true);
    // The upload's guard went with the committed row that names the file.
    expect(await guards(path)).toEqual([]);
  }, 60_000);

  // Found by a probe: a file stored for a create that never committed (here the COMMIT never
  // reached the server; a process killed before its commit is the same) stayed for ever.
  it('should remove, once its guard is due, the file of a create whose COMMIT never arrived', async () => {
    service.proxy.resetInsteadOfSending('COMMIT');
    const lost = await request(service.baseUrl)
      .post('/api/image')
      .set('Authorization', `Bearer ${service.token}`)
      .field('facet', 'Small Cover')
      .attach('file', pngFile(), 'small.png');
    expect([lost.status, lost.body]).toEqual([503, { message: 'Service Unavailable.' }]);

    const { dataSource, config } = service.testApp;
    const named = await dataSource.query<unknown[]>(
      "SELECT image_id FROM images WHERE path LIKE 'small-cover/%'",
    );
    expect(named).toEqual([]);
    const files = readdirSync(join(config.storage.directory, 'small-cover'));
    expect(files).toHaveLength(1);
    const path = `small-cover/${files[0]}`;
    const [guard] = await guards(path);
    const waitMs = Date.parse(`${guard.next_attempt_at}Z`) - Date.parse(`${guard.created_at}Z`);
    expect(waitMs).toBe(UPLOAD_GUARD_MS);

    // Ten minutes later, as far as the worker can tell: the file goes, and so does the guard.
    await dataSource.query(
      'UPDATE storage_deletions SET next_attempt_at = created_at WHERE path = ?',
      [path],
    );
    await service.testApp.app.get(ImageFileCleanup).wake();
    expect(existsSync(join(config.storage.directory, path))).toBe(false);
    expect(await guards(path)).toEqual([]);
  }, 60_000);

  /** The `storage_deletions` rows of `path`, their times as strings. */
  const guards = (path: string) =>
    service.testApp.dataSource.query<{ next_attempt_at: string; created_at: string }[]>(
      "SELECT DATE_FORMAT(next_attempt_at, '%Y-%m-%dT%H:%i:%s.%f') AS next_attempt_at, " +
        "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%f') AS created_at " +
        'FROM storage_deletions WHERE path = ?',
      [path],
    );
});
