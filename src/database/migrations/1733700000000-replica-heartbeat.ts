import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { databaseNow } from '../timestamps';

/**
 * `replica_heartbeat`: one row whose `beat_at` the instances set to the primary's clock every few
 * hundred milliseconds; how far a replica's copy is behind is its replica lag
 * (src/database/read-replicas.ts, docs/scaling.md). Unused on SQLite, created alike.
 */
export class ReplicaHeartbeat1733700000000 implements MigrationInterface {
  name = 'ReplicaHeartbeat1733700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    if (mysql) await queryRunner.query('SET SESSION explicit_defaults_for_timestamp = 1');
    await queryRunner.createTable(
      new Table({
        name: 'replica_heartbeat',
        columns: [
          { name: 'heartbeat_id', type: 'int', isPrimary: true },
          { name: 'beat_at', type: 'timestamp', precision: 6, isNullable: false },
        ],
      }),
    );
    await queryRunner.manager
      .createQueryBuilder()
      .insert()
      .into('replica_heartbeat', ['heartbeat_id', 'beat_at'])
      .values({ heartbeat_id: 1, beat_at: databaseNow() })
      .execute();
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('replica_heartbeat');
  }
}
