import type { Connection } from 'mysql2/promise';
import { bumpChangeVersions } from '../src/database/change-versions';
import { pause } from './helpers/echo-server';
import { seedReadFixtures } from './helpers/fixtures';
import { startProxiedApp, type ProxiedApp } from './helpers/proxied-app';
import { recordStatements } from './helpers/statement-recorder';
import { describeEachDatabase } from './helpers/test-app';
import { connectTo, testDatabaseKinds } from './helpers/test-database';
import { signTestToken } from './helpers/tokens';

/**
 * The data version every read starts with is one statement shared by the reads that ask while it
 * waits to be sent (src/database/shared-read.ts): fewer statements under load, and still no read
 * older than the database was when the request arrived.
 */
const VERSION_STATEMENT =
  /^SELECT SUM\(version\) AS total, MAX\(changed_at\) AS latest FROM change_versions$/;

for (const cache of ['32', '0']) {
  describeEachDatabase(
    `the shared data-version read (RESPONSE_CACHE_MB=${cache})`,
    (context) => {
      let statements: string[] = [];

      beforeAll(async () => {
        await seedReadFixtures(context().dataSource);
        statements = recordStatements(context().dataSource);
      });

      it('should answer concurrent reads alike with never more than two version statements a read', async () => {
        statements.length = 0;
        const bodies = await Promise.all(
          Array.from({ length: 40 }, () => context().http().get('/api/image/2').expect(200)),
        );
        const versions = statements.filter((sql) => VERSION_STATEMENT.test(sql)).length;
        expect(new Set(bodies.map((response) => response.headers.etag)).size).toBe(1);
        expect(versions).toBeGreaterThanOrEqual(1);
        // At most one before and one after the rows of each read (a hit reads only the first).
        expect(versions).toBeLessThanOrEqual(2 * 40);
        // How many overlap depends on timing (supertest opens a connection per request); the
        // sharing itself is pinned below, with a version answer held back by a proxy.
      });

      it('should show every write answered before a read was sent, while other reads keep the version read busy', async () => {
        const http = context().http;
        const auth = `Bearer ${signTestToken()}`;
        let reading = true;
        const readers = Array.from({ length: 12 }, async () => {
          while (reading) await http().get('/api/image?page[size]=2').expect(200);
        });
        try {
          for (let round = 0; round < 12; round++) {
            const path = `shared/${cache}/${round}.png`;
            await http()
              .patch('/api/image/2')
              .set('Authorization', auth)
              .send({ path })
              .expect(200);
            const [show, list] = await Promise.all([
              http().get('/api/image/2').expect(200),
              http().get('/api/image?filter[image_id]=2').expect(200),
            ]);
            expect(show.body.image.path).toBe(path);
            expect(list.body.images.map((image: { path: string }) => image.path)).toEqual([path]);
          }
        } finally {
          reading = false;
          await Promise.all(readers);
        }
      });
    },
    { env: { RESPONSE_CACHE_MB: cache } },
  );
}

/**
 * The race the sharing must not lose, made slow on purpose (MariaDB, through a proxy the test
 * owns): a read's version statement has run at the server but its answer is held; a write
 * commits; a second read arrives. It must not take the held answer (read before the write): it
 * waits for a version read sent after it arrived, so it shows the write and a new entity tag.
 */
if (testDatabaseKinds().includes('mysql')) {
  describe.each(['32', '0'])(
    'the shared data-version read, with a version answer held back (RESPONSE_CACHE_MB=%s) [mysql]',
    (cache) => {
      let app: ProxiedApp;
      let direct: Connection;

      beforeAll(async () => {
        app = await startProxiedApp({ env: { RESPONSE_CACHE_MB: cache } });
        direct = await connectTo(app.database.config);
      });
      afterAll(async () => {
        await direct?.end();
        await app?.close();
      });

      it('should not hand a read that arrived after a write the version read before it', async () => {
        const id = app.knownImageId;
        const url = `${app.baseUrl}/api/image/${id}`;
        const before = await fetch(url);
        expect(before.status).toBe(200);
        const oldTag = before.headers.get('etag');

        app.proxy.holdReplies();
        const first = fetch(url);
        await pause(300); // its version statement has run at the server; the answer is held
        await direct.query('UPDATE images SET path = ? WHERE image_id = ?', ['held/fresh.png', id]);
        await bumpChangeVersions(direct, ['images']);
        const second = fetch(url);
        await pause(300); // it has reached the service and waits on the version read
        await app.proxy.restore();

        expect((await first).status).toBe(200);
        const answer = await second;
        expect(answer.status).toBe(200);
        expect(answer.headers.get('etag')).not.toBe(oldTag);
        const body = (await answer.json()) as { image: { path: string } };
        expect(body.image.path).toBe('held/fresh.png');
      });
    },
  );
}
