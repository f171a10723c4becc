import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * `image_event_outbox`: the transactional outbox of the image domain events (docs/microservice.md).
 * Each write inserts its event in its own transaction; the relay publishes pending rows
 * (`published_at IS NULL`) in `outbox_id` order and stamps them. No foreign key to `images`: the
 * event of a force delete outlives its image.
 */
export class ImageEventOutbox1733000000000 implements MigrationInterface {
  name = 'ImageEventOutbox1733000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    // As in the initial schema: no implicit DEFAULT/ON UPDATE CURRENT_TIMESTAMP (MariaDB < 10.10).
    if (mysql) await queryRunner.query('SET SESSION explicit_defaults_for_timestamp = 1');
    const utf8mb4 = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'image_event_outbox',
        columns: [
          {
            name: 'outbox_id',
            // SQLite only auto-increments an INTEGER PRIMARY KEY (its 64-bit rowid).
            type: mysql ? 'bigint' : 'integer',
            unsigned: true,
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'event_id', type: 'varchar', length: '36', isNullable: false, ...utf8mb4 },
          { name: 'event_type', type: 'varchar', length: '32', isNullable: false, ...utf8mb4 },
          { name: 'image_id', type: 'bigint', unsigned: true, isNullable: false },
          { name: 'actor', type: 'varchar', length: '255', isNullable: false, ...utf8mb4 },
          { name: 'occurred_at', type: 'timestamp', precision: 6, isNullable: false },
          { name: 'payload', type: 'text', isNullable: false, ...utf8mb4 },
          { name: 'published_at', type: 'timestamp', precision: 6, isNullable: true },
        ],
        uniques: [{ name: 'image_event_outbox_event_id_unique', columnNames: ['event_id'] }],
        indices: [
          // The relay's scan: pending rows (published_at IS NULL) in outbox order.
          {
            name: 'image_event_outbox_published_at_outbox_id_index',
            columnNames: ['published_at', 'outbox_id'],
          },
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('image_event_outbox');
  }
}
