import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
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
  }, 60_000);
});
