import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** Each pivot table, its parent's key, and the columns its links sort by besides the keys. */
const PIVOTS: readonly { table: string; key: string; columns: readonly string[] }[] = [
  { table: 'anime_image', key: 'anime_id', columns: ['created_at', 'updated_at'] },
  { table: 'artist_image', key: 'artist_id', columns: ['depth', 'created_at', 'updated_at'] },
  { table: 'studio_image', key: 'studio_id', columns: ['created_at', 'updated_at'] },
  { table: 'playlist_image', key: 'playlist_id', columns: ['created_at', 'updated_at'] },
];

/**
 * The pivot resources (API.md section 9) sort their links by `created_at`, `updated_at` and
 * `depth`, then by both ids: an index `(column, <parent>_id, image_id)` per sort serves that order
 * and its keyset pages as one range, where a sorted list read and sorted every link before.
 */
export class PivotSortIndexes1733900000000 implements MigrationInterface {
  name = 'PivotSortIndexes1733900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, key, columns } of PIVOTS) {
      await queryRunner.createIndices(
        table,
        columns.map(
          (column) =>
            new TableIndex({
              name: `${table}_${column}_index`,
              columnNames: [column, key, 'image_id'],
            }),
        ),
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const { table, columns } of PIVOTS) {
      for (const column of columns) await queryRunner.dropIndex(table, `${table}_${column}_index`);
    }
  }
}
