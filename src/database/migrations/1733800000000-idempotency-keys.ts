import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * `idempotency_keys`: the answers of writes sent with an `Idempotency-Key` (API.md section 10), kept
 * 24 h so that a retry gets the first answer again. `key_hash` is the SHA-256 of the token's `sub`
 * and the key; `request_hash` that of the method, route and body; `result` the handler's answer as
 * JSON. Written in the transaction of the write it answers.
 */
export class IdempotencyKeys1733800000000 implements MigrationInterface {
  name = 'IdempotencyKeys1733800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    if (mysql) await queryRunner.query('SET SESSION explicit_defaults_for_timestamp = 1');
    const utf8mb4 = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { name: 'key_hash', type: 'char', length: '64', isPrimary: true, ...utf8mb4 },
          { name: 'request_hash', type: 'char', length: '64', isNullable: false, ...utf8mb4 },
          { name: 'result', type: 'text', isNullable: false, ...utf8mb4 },
          { name: 'created_at', type: 'timestamp', precision: 6, isNullable: false },
        ],
        indices: [{ name: 'idempotency_keys_created_at_index', columnNames: ['created_at'] }],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('idempotency_keys');
  }
}
