import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * `storage_deletions`: files to remove from storage once the transaction that recorded them has
 * committed (a force-deleted image's file, docs/storage.md). A worker deletes each file and then
 * its row; while the store does not answer, it tries again later (`next_attempt_at`).
 */
export class StorageDeletions1733600000000 implements MigrationInterface {
  name = 'StorageDeletions1733600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    if (mysql) await queryRunner.query('SET SESSION explicit_defaults_for_timestamp = 1');
    const utf8mb4 = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'storage_deletions',
        columns: [
          {
            name: 'storage_deletion_id',
            type: mysql ? 'bigint' : 'integer',
            unsigned: true,
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'path', type: 'varchar', length: '255', isNullable: false, ...utf8mb4 },
          { name: 'attempts', type: 'int', isNullable: false },
          { name: 'next_attempt_at', type: 'timestamp', precision: 6, isNullable: false },
          { name: 'last_error', type: 'varchar', length: '255', isNullable: true, ...utf8mb4 },
          { name: 'created_at', type: 'timestamp', precision: 6, isNullable: false },
        ],
        indices: [
          // The worker's scan: rows that are due, oldest first.
          {
            name: 'storage_deletions_next_attempt_at_index',
            columnNames: ['next_attempt_at', 'storage_deletion_id'],
          },
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('storage_deletions');
  }
}
