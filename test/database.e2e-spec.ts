import type { DataSource } from 'typeorm';
import { Anime } from '../src/anime/anime.entity';
import { openDataSource } from '../src/database/data-source';
import { ENTITIES } from '../src/entities';
import { MIGRATIONS } from '../src/database/migrations';
import { Image } from '../src/image/image.entity';
import { createTestDatabase, TestDatabase, testDatabaseKinds } from './helpers/test-database';

const CONTRACT_TABLES = [
  'anime',
  'anime_image',
  'artist_image',
  'artists',
  'images',
  'playlist_image',
  'playlists',
  'studio_image',
  'studios',
];

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query<{ name: string }[]>(
    dataSource.options.type === 'mysql'
      ? 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()'
      : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  return rows.map((row) => row.name).sort();
}

describe.each(testDatabaseKinds())('database [%s]', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = await openDataSource(database.config, { entities: ENTITIES });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  describe('migrations', () => {
    it('should run, revert to nothing and run again to the same tables', async () => {
      const names = MIGRATIONS.map((migration) => migration.name);
      const applied = await dataSource.runMigrations();
      expect(applied.map((migration) => migration.name)).toEqual(names);
      const tables = await tableNames(dataSource);
      expect(tables).toEqual(expect.arrayContaining([...CONTRACT_TABLES, 'migrations']));
      expect(await dataSource.showMigrations()).toBe(false);

      for (const _ of names) await dataSource.undoLastMigration();
      expect(await tableNames(dataSource)).toEqual(['migrations']);
      expect(await dataSource.showMigrations()).toBe(true);

      const reapplied = await dataSource.runMigrations();
      expect(reapplied.map((migration) => migration.name)).toEqual(names);
      expect(await tableNames(dataSource)).toEqual(tables);
    });

    it('should do nothing when run again on an up-to-date database', async () => {
      expect(await dataSource.runMigrations()).toEqual([]);
    });
  });

  describe('timestamps', () => {
    const stored = {
      createdAt: '2024-01-15 12:00:00.123456',
      updatedAt: '2024-01-15 12:00:00.999999',
      deletedAt: '2024-02-29 23:59:59.000001',
    };

    it('should keep microseconds through a raw insert and select', async () => {
      await dataSource.query(
        'INSERT INTO images (image_id, path, facet, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?)',
        [101, 'grill/raw.png', 2, stored.createdAt, stored.updatedAt, stored.deletedAt],
      );
      const rows = await dataSource.query<Record<string, unknown>[]>(
        'SELECT image_id, created_at, updated_at, deleted_at FROM images WHERE image_id = ?',
        [101],
      );
      expect(rows).toEqual([
        {
          image_id: 101,
          created_at: stored.createdAt,
          updated_at: stored.updatedAt,
          deleted_at: stored.deletedAt,
        },
      ]);
    });

    it('should keep microseconds through the entity repository', async () => {
      const images = dataSource.getRepository(Image);
      const saved = await images.save(
        images.create({ path: 'anime/large-cover/entity.jpg', facet: 1, ...stored }),
      );
      // (TypeORM hands back a soft-deleted entity's new id as a string on MySQL; the row is what counts.)
      const imageId = Number(saved.imageId);
      const found = await images.findOne({ where: { imageId }, withDeleted: true });
      expect(found).toEqual({
        imageId,
        path: 'anime/large-cover/entity.jpg',
        facet: 1,
        ...stored,
      });
    });

    it('should store them as UTC: the database reads the same instant back', async () => {
      // SQLite has no time zones: its date functions read the text as UTC (whole seconds here).
      const sql =
        kind === 'mysql'
          ? 'SELECT UNIX_TIMESTAMP(created_at) AS epoch FROM images WHERE image_id = ?'
          : "SELECT strftime('%s', created_at) AS epoch FROM images WHERE image_id = ?";
      const [{ epoch }] = await dataSource.query<{ epoch: string | number }[]>(sql, [101]);
      expect(String(epoch)).toBe(kind === 'mysql' ? '1705320000.123456' : '1705320000');
    });

    if (kind === 'mysql') {
      it('should pin every pooled MySQL connection to UTC', async () => {
        const runners = Array.from({ length: 3 }, () => dataSource.createQueryRunner());
        try {
          const zones = await Promise.all(
            runners.map(async (runner) => {
              await runner.connect();
              const [row] = await runner.query(
                'SELECT @@SESSION.time_zone AS zone, CONNECTION_ID() AS id',
              );
              return row as { zone: string; id: number };
            }),
          );
          expect(new Set(zones.map((zone) => zone.id)).size).toBe(3);
          expect(zones.map((zone) => zone.zone)).toEqual(['+00:00', '+00:00', '+00:00']);
        } finally {
          await Promise.all(runners.map((runner) => runner.release()));
        }
      });
    }
  });

  describe('foreign keys', () => {
    it('should delete pivot rows with their image or their anime (ON DELETE CASCADE)', async () => {
      const at = '2024-01-15 12:00:00.000000';
      const anime = await dataSource.getRepository(Anime).save({
        name: 'Cascade',
        slug: 'cascade',
        year: 2024,
        season: 0,
        mediaFormat: 1,
        synopsis: null,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
      });
      for (const imageId of [201, 202]) {
        await dataSource.query(
          'INSERT INTO images (image_id, path, facet, created_at, updated_at) VALUES (?, ?, 1, ?, ?)',
          [imageId, `anime/large-cover/${imageId}.jpg`, at, at],
        );
        await dataSource.query(
          'INSERT INTO anime_image (anime_id, image_id, created_at, updated_at) VALUES (?, ?, ?, ?)',
          [anime.animeId, imageId, at, at],
        );
      }
      const pivots = () =>
        dataSource.query<{ image_id: number }[]>(
          'SELECT image_id FROM anime_image WHERE anime_id = ? ORDER BY image_id',
          [anime.animeId],
        );
      expect(await pivots()).toEqual([{ image_id: 201 }, { image_id: 202 }]);

      await dataSource.query('DELETE FROM images WHERE image_id = ?', [201]);
      expect(await pivots()).toEqual([{ image_id: 202 }]);

      await dataSource.query('DELETE FROM anime WHERE anime_id = ?', [anime.animeId]);
      expect(await dataSource.query('SELECT * FROM anime_image')).toEqual([]);
      expect(await dataSource.query('SELECT image_id FROM images WHERE image_id = 202')).toEqual([
        { image_id: 202 },
      ]);
    });

    it('should refuse a pivot row whose image does not exist', async () => {
      const at = '2024-01-15 12:00:00.000000';
      await expect(
        dataSource.query(
          'INSERT INTO studio_image (studio_id, image_id, created_at, updated_at) VALUES (?, ?, ?, ?)',
          [1, 999_999, at, at],
        ),
      ).rejects.toThrow(/foreign key/i);
    });
  });
});
