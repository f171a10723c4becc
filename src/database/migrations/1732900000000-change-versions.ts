import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { databaseNow } from '../timestamps';

/**
 * `change_versions`: one row per table the read routes render from, bumped by every transaction that
 * writes the table; conditional GETs (ETag / If-None-Match) are answered from it
 * (see src/database/change-versions.ts and docs/PERFORMANCE.md).
 */
/** Written out here (not imported) so this migration never changes once it has run. */
const TABLES = [
  'images',
  'anime',
  'artists',
  'studios',
  'playlists',
  'anime_image',
  'artist_image',
  'studio_image',
  'playlist_image',
];

export class ChangeVersions1732900000000 implements MigrationInterface {
  name = 'ChangeVersions1732900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    // As in the initial schema: no implicit DEFAULT/ON UPDATE CURRENT_TIMESTAMP (MariaDB < 10.10).
    if (mysql) await queryRunner.query('SET SESSION explicit_defaults_for_timestamp = 1');
    const utf8mb4 = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'change_versions',
        columns: [
          { name: 'table_name', type: 'varchar', length: '64', isPrimary: true, ...utf8mb4 },
          { name: 'version', type: 'bigint', unsigned: true, isNullable: false },
          { name: 'changed_at', type: 'timestamp', precision: 6, isNullable: false },
        ],
      }),
    );
    const now = databaseNow();
    await queryRunner.manager
      .createQueryBuilder()
      .insert()
      .into('change_versions', ['table_name', 'version', 'changed_at'])
      .values(TABLES.map((table) => ({ table_name: table, version: 0, changed_at: now })))
      .execute();
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('change_versions');
  }
}
