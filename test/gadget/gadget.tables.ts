import { DataSource, Table } from 'typeorm';
import { bumpChangeVersions, CHANGE_VERSIONS_TABLE } from '../../src/database/change-versions';

const stamp = (name: string, isNullable = false) => ({
  name,
  type: 'timestamp',
  precision: 6,
  isNullable,
});
const key = (name: string) => ({ name, type: 'bigint', unsigned: true, isPrimary: true });

/** The gadget tables (what a migration would create) and their change-version rows. */
export async function createGadgetTables(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.createTable(
      new Table({
        name: 'gadgets',
        columns: [
          key('gadget_id'),
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'weight', type: 'int', isNullable: true },
          stamp('created_at'),
          stamp('updated_at'),
          stamp('deleted_at', true),
        ],
      }),
    );
    await runner.createTable(
      new Table({ name: 'anime_gadget', columns: [key('anime_id'), key('gadget_id')] }),
    );
  } finally {
    await runner.release();
  }
  for (const table of ['gadgets', 'anime_gadget']) {
    await dataSource.query(
      `INSERT INTO ${CHANGE_VERSIONS_TABLE} (table_name, version, changed_at) VALUES (?, 0, ?)`,
      [table, '2024-01-01 00:00:00.000000'],
    );
  }
}

const STAMP = '2024-01-01 00:00:00.000000';

/** Inserts gadgets as a writer would: the rows, then a bump of the table's change version. */
export async function insertGadgets(
  dataSource: DataSource,
  gadgets: readonly { id: number; name: string; weight: number | null; deleted?: boolean }[],
): Promise<void> {
  for (const gadget of gadgets) {
    await dataSource.query(
      'INSERT INTO gadgets (gadget_id, name, weight, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?)',
      [gadget.id, gadget.name, gadget.weight, STAMP, STAMP, gadget.deleted ? STAMP : null],
    );
  }
  await bumpChangeVersions(dataSource, ['gadgets']);
}

/** Links gadgets to anime. */
export async function linkGadgets(
  dataSource: DataSource,
  links: readonly [animeId: number, gadgetId: number][],
): Promise<void> {
  for (const [animeId, gadgetId] of links) {
    await dataSource.query('INSERT INTO anime_gadget (anime_id, gadget_id) VALUES (?, ?)', [
      animeId,
      gadgetId,
    ]);
  }
  await bumpChangeVersions(dataSource, ['anime_gadget']);
}
