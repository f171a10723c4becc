import { seedDatabase } from '../src/seed/database-seeder';
import { SEED_TABLES } from '../src/seed/demo-data.generator';
import { seedReadFixtures } from './helpers/fixtures';
import { describeEachDatabase } from './helpers/test-app';
import { recordStatements } from './helpers/statement-recorder';
import { signTestToken } from './helpers/tokens';

/**
 * Conditional GETs: a strong ETag on every read (none for sort=random), 304 for a matching
 * If-None-Match answered from the change versions alone, and every write moving the tag on.
 */
const CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const STRONG_TAG = /^"[A-Za-z0-9_-]{27}"$/;
/**
 * supertest listens on a new port for every request, and the links (so the tags) of a list follow
 * the Host header; every request names the same host.
 */
const HOST = 'images.test';

interface VersionRow {
  table_name: string;
  version: number | string;
}

describeEachDatabase('GET /api/image: ETag and If-None-Match', (context) => {
  let statements: string[] = [];

  beforeAll(async () => {
    const { dataSource } = context();
    await seedReadFixtures(dataSource);
    statements = recordStatements(dataSource);
  });

  const token = () => signTestToken();
  const get = (path: string) => context().http().get(path).set('Host', HOST);

  const tagOf = async (path: string): Promise<string> => {
    const response = await get(path).expect(200);
    const tag = response.headers.etag;
    expect(tag).toMatch(STRONG_TAG);
    expect(response.headers['cache-control']).toBe(CACHE_CONTROL);
    return tag;
  };

  const versions = async (): Promise<Record<string, number>> => {
    const rows = await context().dataSource.query<VersionRow[]>(
      'SELECT table_name, version FROM change_versions',
    );
    return Object.fromEntries(rows.map((row) => [row.table_name, Number(row.version)]));
  };

  it('should start every table at version 0 after the migration', async () => {
    expect(await versions()).toEqual({
      images: 0,
      anime: 0,
      artists: 0,
      studios: 0,
      playlists: 0,
      anime_image: 0,
      artist_image: 0,
      studio_image: 0,
      playlist_image: 0,
    });
  });

  it.each([
    '/api/image',
    '/api/image?include=anime,artists&page[size]=3',
    '/api/image?page[cursor]=&page[size]=2',
    '/api/image/1?include=anime',
    '/api/image/11',
  ])(
    'should answer a matching If-None-Match on %s with 304, no body and only the version read',
    async (path) => {
      const tag = await tagOf(path);
      statements.length = 0;
      const response = await get(path).set('If-None-Match', tag).expect(304);
      expect(response.text).toBe('');
      expect(response.headers.etag).toBe(tag);
      expect(response.headers['cache-control']).toBe(CACHE_CONTROL);
      expect(response.headers['request-id']).toEqual(expect.any(String));
      // No row was read or rendered: the change versions were the only statement.
      expect(statements).toEqual([
        expect.stringMatching(
          /^SELECT SUM\(version\) AS total, MAX\(changed_at\) AS latest FROM change_versions$/,
        ),
      ]);
    },
  );

  it('should match a tag among a list, in its weak form, and * for any current list', async () => {
    const tag = await tagOf('/api/image?sort=-facet');
    for (const header of [`"nope", ${tag}`, `W/${tag}`, `${tag},"other"`, '*']) {
      await get('/api/image?sort=-facet').set('If-None-Match', header).expect(304);
    }
    for (const header of ['"nope"', 'W/"nope"', tag.slice(0, -2) + '"', '']) {
      const response = await get('/api/image?sort=-facet').set('If-None-Match', header).expect(200);
      expect([header, response.headers.etag]).toEqual([header, tag]);
      expect(response.body.images).toHaveLength(10);
    }
  });

  it('should answer If-None-Match: * on show with 304 only for an image that exists', async () => {
    await get('/api/image/2').set('If-None-Match', '*').expect(304);
    const missing = await get('/api/image/999').set('If-None-Match', '*');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Image 999 not found.' });
    expect(missing.headers.etag).toBeUndefined();
  });

  it('should still answer an invalid query with 422, whatever If-None-Match says', async () => {
    for (const path of ['/api/image?page[size]=0', '/api/image?page[cursor]=forged.cursor']) {
      const response = await get(path).set('If-None-Match', '*').expect(422);
      expect(response.headers.etag).toBeUndefined();
    }
  });

  it('should give every query, spelling, host and route its own tag', async () => {
    const paths = [
      '/api/image',
      '/api/image?page[size]=5',
      '/api/image?include=anime',
      '/api/image?include=anime,artists',
      '/api/image?include=artists,anime',
      '/api/image?filter[facet]=Cover',
      '/api/image?page[number]=2',
      '/api/image/1',
      '/api/image/2',
      '/api/image/1?include=anime',
    ];
    const tags = await Promise.all(paths.map((path) => tagOf(path)));
    expect(new Set(tags).size).toBe(paths.length);
    // The same request gets the same tag; another Host (the links' base) another one.
    expect(await tagOf('/api/image?include=anime')).toBe(tags[2]);
    const otherHost = await context()
      .http()
      .get('/api/image')
      .set('Host', 'other.test')
      .expect(200);
    expect(otherHost.headers.etag).not.toBe(tags[0]);
  });

  it('should send no ETag and no-store for sort=random', async () => {
    const response = await get('/api/image?sort=random').expect(200);
    expect(response.headers.etag).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-store');
  });

  describe('after a write', () => {
    const watched = [
      '/api/image',
      '/api/image?include=anime',
      '/api/image/3',
      '/api/image/3?include=anime',
    ];

    /** Runs a write and checks that every watched tag moved on and the versions went up by one. */
    const expectWriteMovesTags = async (
      write: () => Promise<unknown>,
      tables: readonly string[],
    ) => {
      const before = await Promise.all(watched.map((path) => tagOf(path)));
      const versionsBefore = await versions();
      await write();
      for (const [index, path] of watched.entries()) {
        const response = await get(path).set('If-None-Match', before[index]).expect(200);
        expect(response.headers.etag).toMatch(STRONG_TAG);
        expect(response.headers.etag).not.toBe(before[index]);
      }
      const expected = { ...versionsBefore };
      for (const table of tables) expected[table] += 1;
      expect(await versions()).toEqual(expected);
    };

    it('should answer 200 with a new tag after a create', async () => {
      await expectWriteMovesTags(
        () =>
          context()
            .http()
            .post('/api/image')
            .set('Authorization', `Bearer ${token()}`)
            .send({ path: 'new/one.jpg', facet: 'Cover' })
            .expect(201),
        ['images'],
      );
    });

    it('should answer 200 with a new tag after an update, and keep the tag for an update that changes nothing', async () => {
      await expectWriteMovesTags(
        () =>
          context()
            .http()
            .patch('/api/image/3')
            .set('Authorization', `Bearer ${token()}`)
            .send({ path: 'anime/cover/eva-2.png' })
            .expect(200),
        ['images'],
      );
      const tag = await tagOf('/api/image/3');
      const versionsBefore = await versions();
      await context()
        .http()
        .patch('/api/image/3')
        .set('Authorization', `Bearer ${token()}`)
        .send({ path: 'anime/cover/eva-2.png' })
        .expect(200);
      expect(await versions()).toEqual(versionsBefore);
      await get('/api/image/3').set('If-None-Match', tag).expect(304);
    });

    it('should answer 200 with a new tag after a soft delete and after a restore', async () => {
      await expectWriteMovesTags(
        () =>
          context()
            .http()
            .delete('/api/image/3')
            .set('Authorization', `Bearer ${token()}`)
            .expect(200),
        ['images'],
      );
      await expectWriteMovesTags(
        () =>
          context()
            .http()
            .patch('/api/restore/image/3')
            .set('Authorization', `Bearer ${token()}`)
            .expect(200),
        ['images'],
      );
    });

    it('should answer 200 with a new tag after a force delete, which bumps the pivots too', async () => {
      await expectWriteMovesTags(
        () =>
          context()
            .http()
            .delete('/api/forceDelete/image/5')
            .set('Authorization', `Bearer ${token()}`)
            .expect(200),
        ['images', 'anime_image', 'artist_image', 'studio_image', 'playlist_image'],
      );
    });

    it('should answer 200 with a new tag after the seeder refilled the tables', async () => {
      await expectWriteMovesTags(
        () => seedDatabase(context().dataSource, { images: 30, reset: true }),
        // Bumped before and after filling, so no tag handed out half-way survives the seed.
        [...SEED_TABLES, ...SEED_TABLES],
      );
    });

    it('should keep every tag for a write that fails (nothing was written)', async () => {
      const tag = await tagOf('/api/image');
      const versionsBefore = await versions();
      await context()
        .http()
        .post('/api/image')
        .set('Authorization', `Bearer ${token()}`)
        .send({ path: '/absolute.jpg', facet: 'Cover' })
        .expect(422);
      expect(await versions()).toEqual(versionsBefore);
      await get('/api/image').set('If-None-Match', tag).expect(304);
    });
  });
});
