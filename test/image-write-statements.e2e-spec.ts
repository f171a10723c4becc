import { ALL_PERMISSIONS } from '../src/auth/permissions';
import { readImageRow } from './helpers/image-rows';
import { recordStatements } from './helpers/statement-recorder';
import { describeEachDatabase } from './helpers/test-app';
import { isMariaDb } from './helpers/test-database';
import { bearer, signTestToken } from './helpers/tokens';

const SELECT_ROW =
  'SELECT image_id, path, facet, created_at, updated_at, deleted_at FROM images WHERE image_id = ?';
const INSERT_EVENT =
  'INSERT INTO image_event_outbox (event_id, event_type, image_id, actor, occurred_at, payload, published_at) VALUES (?, ?, ?, ?, ?, ?, NULL)';
const BUMP_IMAGES =
  'UPDATE change_versions SET version = version + 1, changed_at = ? WHERE table_name IN (?)';

/**
 * The statements of the two writes the benchmark sends (docs/PERFORMANCE.md, `write-pair`): one
 * round trip each, the same as the ceiling's (bench/ceiling-server.ts) — no reload of generated
 * columns after the INSERT, no statement the write does not need.
 */
describeEachDatabase('POST and DELETE /api/image: SQL statements per request', (context) => {
  let statements: string[] = [];
  const token = bearer(signTestToken({ permissions: [...ALL_PERMISSIONS] }));

  beforeAll(() => {
    statements = recordStatements(context().dataSource);
  });

  it('should create with 7 statements and soft-delete with 7 (6 on MariaDB), the rows locked on MySQL', async () => {
    const mysql = context().dataSource.options.type === 'mysql';
    // MariaDB: the bump travels with the COMMIT (mysql-transaction.ts), one round trip less.
    const bumpAndCommit =
      mysql && (await isMariaDb(context().dataSource))
        ? [`BEGIN NOT ATOMIC ${BUMP_IMAGES}; COMMIT; END`]
        : [BUMP_IMAGES, 'COMMIT'];
    // SQLite: the file's write lock is taken first (sqlite-transaction.ts), so that a write waits
    // for another connection's lock rather than failing at once.
    const begin = mysql ? ['START TRANSACTION'] : ['BEGIN IMMEDIATE'];
    const locked = (sql: string) => (mysql ? `${sql} FOR UPDATE` : sql);

    statements.length = 0;
    const created = await context()
      .http()
      .post('/api/image')
      .set('authorization', token)
      .send({ path: 'anime/new.jpg', facet: 'Cover' })
      .expect(201);
    expect(statements).toEqual([
      ...begin,
      'INSERT INTO images (path, facet, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, NULL)',
      // A removal still waiting for a file at this path is cancelled (ImageFileCleanup.claim).
      `DELETE FROM storage_deletions WHERE path = ? AND ${mysql ? 'BINARY path = ?' : 'path = ?'}`,
      locked(SELECT_ROW),
      INSERT_EVENT,
      ...bumpAndCommit,
    ]);
    const id = (created.body as { image: { image_id: number } }).image.image_id;
    const row = await readImageRow(context().dataSource, id);
    expect(row).toMatchObject({ path: 'anime/new.jpg', facet: 1, deleted_at: null });

    statements.length = 0;
    await context().http().delete(`/api/image/${id}`).set('authorization', token).expect(200);
    expect(statements).toEqual([
      ...begin,
      locked(`${SELECT_ROW} AND deleted_at IS NULL`),
      'UPDATE images SET deleted_at = ?, updated_at = ? WHERE image_id = ?',
      locked(SELECT_ROW),
      INSERT_EVENT,
      ...bumpAndCommit,
    ]);
    expect((await readImageRow(context().dataSource, id))?.deleted_at).not.toBeNull();
  });
});
