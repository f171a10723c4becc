import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * An upload's guard (`ImageFileCleanup.guard`, docs/storage.md) is deleted by its path in the
 * transaction that creates the image: an index on `path` keeps that to the row itself, where a
 * scan of the table would lock every row it passed (InnoDB) and make concurrent uploads wait.
 */
export class StorageDeletionsPath1734000000000 implements MigrationInterface {
  name = 'StorageDeletionsPath1734000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'storage_deletions',
      new TableIndex({ name: 'storage_deletions_path_index', columnNames: ['path'] }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('storage_deletions', 'storage_deletions_path_index');
  }
}
