import Database from 'better-sqlite3';
import { Permission } from '../src/auth/permissions';
import { createTestApp, TestApp } from './helpers/test-app';
import { bearer, tokenWith } from './helpers/tokens';

/**
 * Found by a probe: once a write failed for lack of room (SQLITE_FULL), SQLite rolled its
 * transaction back by itself, but TypeORM's transaction still thought one open, so every later
 * write became a savepoint of a transaction that never committed: 201s for rows that no other
 * connection saw, lost at the next start, and the file's write lock held for good. A full disk is
 * made here by capping the file's pages (`max_page_count`), which fails the same way; a write that
 * failed on its own then left the connection in a transaction for good (ROLLBACK TO a savepoint).
 */
describe('SQLite: a write that fails for lack of room [sqlite]', () => {
  let testApp: TestApp;
  const token = bearer(tokenWith(Permission.CreateImage));
  const updateToken = bearer(tokenWith(Permission.UpdateImage));
  const handle = () =>
    (testApp.dataSource.driver as unknown as { databaseConnection: Database.Database })
      .databaseConnection;
  const path = () => {
    const config = testApp.database.config;
    if (config.type !== 'sqlite') throw new Error('an SQLite test app');
    return config.path;
  };
  /** The image paths another connection to the file sees: what was committed. */
  const committedPaths = (prefix: string) => {
    const other = new Database(path(), { readonly: true });
    try {
      return other
        .prepare('SELECT path FROM images WHERE path LIKE ? ORDER BY image_id')
        .all(`${prefix}%`)
        .map((row) => (row as { path: string }).path);
    } finally {
      other.close();
    }
  };
  const create = (imagePath: string) =>
    testApp
      .http()
      .post('/api/image')
      .set('Authorization', token)
      .send({ path: imagePath, facet: 'Cover' });

  beforeAll(async () => {
    testApp = await createTestApp('sqlite');
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('should answer 503 while the disk is full, commit every write that answered 201, and write again once there is room', async () => {
    expect((await create('full/before.jpg')).status).toBe(201);
    const pages = Number(handle().pragma('page_count', { simple: true }));
    handle().pragma(`max_page_count = ${pages}`);
    const answers: number[] = [];
    try {
      // Each create needs room for its row, its event and its index entries: the last free
      // space of the file's pages goes within a few of them. Writes go on failing for a while.
      const failed = () => answers.filter((status) => status === 503).length;
      for (let index = 0; index < 200 && failed() < 3; index += 1) {
        const response = await create(`full/during-${index}-${'x'.repeat(200)}.jpg`);
        answers.push(response.status);
        if (response.status === 503) {
          expect(response.body).toEqual({ message: 'Service Unavailable.' });
        }
      }
    } finally {
      handle().pragma('max_page_count = 4294967294');
    }
    expect(answers.filter((status) => status === 503)).toHaveLength(3);
    expect(new Set(answers)).toEqual(new Set(answers.includes(201) ? [201, 503] : [503]));

    // A write that fails on its own (404 inside its transaction) after the full disk's: before the
    // fix, its rollback left a transaction open on the connection for good.
    const missing = await testApp
      .http()
      .patch('/api/image/999999')
      .set('Authorization', updateToken)
      .send({ facet: 'Grill' });
    expect(missing.status).toBe(404);
    const after = await create('full/after.jpg');
    expect(after.status).toBe(201);
    expect(handle().inTransaction).toBe(false);
    const committed = committedPaths('full/');
    expect(committed).toEqual([
      'full/before.jpg',
      ...answers.flatMap((status, index) =>
        status === 201 ? [`full/during-${index}-${'x'.repeat(200)}.jpg`] : [],
      ),
      'full/after.jpg',
    ]);
  });
});
