import type { Connection } from 'mysql2/promise';
import { Permission } from '../src/auth/permissions';
import { seedReadFixtures } from './helpers/fixtures';
import { createTestApp, type TestApp } from './helpers/test-app';
import { connectTo } from './helpers/test-database';

import { bearer, tokenWith } from './helpers/tokens';

/**
 * The writes of one image take turns (found by a probe): link writes held the image under a shared
 * lock, so two of them ran side by side and took their outbox sequence in one order and committed
 * in the other, and consumers that keep an image's events in `sequence` order dropped real
 * attaches and detaches (52 of 6,400 events). Now a link write locks its image for update: it
 * waits while another transaction holds the image, as an image write does. MariaDB/MySQL only
 * (SQLite has one writer).
 */
describe('the link writes of one image take turns [mysql]', () => {
  let testApp: TestApp;
  let other: Connection;
  const token = bearer(tokenWith(Permission.CreateAnime, Permission.CreateImage));

  beforeAll(async () => {
    testApp = await createTestApp('mysql');
    await seedReadFixtures(testApp.dataSource);
    other = await connectTo(testApp.database.config);
  });

  afterAll(async () => {
    await other?.end();
    await testApp?.close();
  });

  it('should wait for another transaction that holds the image, and attach once it ends', async () => {
    await other.query('BEGIN');
    // What a concurrent link write of the same image held: a shared lock on its row.
    await other.query('SELECT image_id FROM images WHERE image_id = 1 LOCK IN SHARE MODE');
    let answered: number | undefined;
    const attach = testApp
      .http()
      .post('/api/animeimage/akira/1')
      .set('Authorization', token)
      .then((response) => {
        answered = response.status;
        return response;
      });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answered).toBeUndefined();
    await other.query('COMMIT');
    expect((await attach).status).toBe(201);
  });
});
