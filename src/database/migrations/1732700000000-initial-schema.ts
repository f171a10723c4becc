import {
  MigrationInterface,
  QueryRunner,
  Table,
  TableColumnOptions,
  TableForeignKeyOptions,
  TableIndexOptions,
} from 'typeorm';

/**
 * The whole schema of the contract (API.md section 2), written with TypeORM's dialect-neutral schema
 * API so that the same file builds the same tables on MySQL/MariaDB and SQLite.
 */
/**
 * Keys are bigint unsigned auto-increment. SQLite only auto-increments an `INTEGER PRIMARY KEY`
 * (which is a 64-bit rowid there), so that is the type it gets.
 */
const id = (name: string, dialect: string): TableColumnOptions => ({
  name,
  type: dialect === 'mysql' ? 'bigint' : 'integer',
  unsigned: true,
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
});

const reference = (name: string): TableColumnOptions => ({
  name,
  type: 'bigint',
  unsigned: true,
  isPrimary: true,
});

const timestamp = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'timestamp',
  precision: 6,
  isNullable,
});

const timestamps = (): TableColumnOptions[] => [timestamp('created_at'), timestamp('updated_at')];
const softDeleteTimestamps = (): TableColumnOptions[] => [
  ...timestamps(),
  timestamp('deleted_at', true),
];

const string = (name: string, length = 255, isUnique = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: false,
  isUnique,
});

const nullableInt = (name: string): TableColumnOptions => ({ name, type: 'int', isNullable: true });
const nullableText = (name: string): TableColumnOptions => ({
  name,
  type: 'text',
  isNullable: true,
});

/**
 * Every filterable and sortable column is indexed behind `deleted_at`, so the soft-delete condition
 * (`deleted_at IS NULL`) and the filter or sort are served by one index range, and the primary key
 * ends each index as the tie-breaker.
 */
const liveIndex = (table: string, column: string): TableIndexOptions => ({
  name: `${table}_deleted_at_${column}_index`,
  columnNames:
    column === `${singular(table)}_id`
      ? ['deleted_at', column]
      : ['deleted_at', column, `${singular(table)}_id`],
});

function singular(table: string): string {
  return {
    images: 'image',
    anime: 'anime',
    artists: 'artist',
    studios: 'studio',
    playlists: 'playlist',
  }[table] as string;
}

const pivotForeignKeys = (related: string, relatedKey: string): TableForeignKeyOptions[] => [
  {
    name: `${singular(related)}_image_${relatedKey}_foreign`,
    columnNames: [relatedKey],
    referencedTableName: related,
    referencedColumnNames: [relatedKey],
    onDelete: 'CASCADE',
  },
  {
    name: `${singular(related)}_image_image_id_foreign`,
    columnNames: ['image_id'],
    referencedTableName: 'images',
    referencedColumnNames: ['image_id'],
    onDelete: 'CASCADE',
  },
];

const pivot = (related: string, extraColumns: TableColumnOptions[] = []): Table => {
  const relatedKey = `${singular(related)}_id`;
  const name = `${singular(related)}_image`;
  return new Table({
    name,
    columns: [reference(relatedKey), reference('image_id'), ...extraColumns, ...timestamps()],
    indices: [{ name: `${name}_image_id_index`, columnNames: ['image_id'] }],
    foreignKeys: pivotForeignKeys(related, relatedKey),
  });
};

/**
 * On MySQL every string column is `utf8mb4` with `utf8mb4_unicode_ci`, whatever the database's
 * default (MariaDB's is often latin1 or utf8mb4_general_ci, MySQL 8's utf8mb4_0900_ai_ci), so names
 * in any script can be stored and both servers compare and sort strings alike. SQLite stores UTF-8.
 */
const withUtf8mb4 = (table: Table, dialect: string): Table => {
  if (dialect !== 'mysql') return table;
  for (const column of table.columns) {
    if (column.type === 'varchar' || column.type === 'text') {
      column.charset = 'utf8mb4';
      column.collation = 'utf8mb4_unicode_ci';
    }
  }
  return table;
};

/**
 * With `explicit_defaults_for_timestamp` off (the default before MariaDB 10.10), MySQL gives the
 * first NOT NULL timestamp column of a table `DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`:
 * `created_at` would move on every update. The tables are created with it on.
 */
async function useExplicitTimestampDefaults(queryRunner: QueryRunner): Promise<void> {
  const [{ value }] = (await queryRunner.query(
    'SELECT @@SESSION.explicit_defaults_for_timestamp AS value',
  )) as { value: number | string }[];
  if (String(value) !== '1' && String(value).toUpperCase() !== 'ON') {
    await queryRunner.query('SET SESSION explicit_defaults_for_timestamp = 1');
  }
}

export class InitialSchema1732700000000 implements MigrationInterface {
  name = 'InitialSchema1732700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = queryRunner.connection.options.type;
    const createTable = (table: Table) => queryRunner.createTable(withUtf8mb4(table, dialect));
    if (dialect === 'mysql') await useExplicitTimestampDefaults(queryRunner);
    await createTable(
      new Table({
        name: 'images',
        columns: [
          id('image_id', dialect),
          string('path'),
          { name: 'facet', type: 'int', isNullable: false },
          ...softDeleteTimestamps(),
        ],
        indices: ['image_id', 'path', 'facet', 'created_at', 'updated_at'].map((column) =>
          liveIndex('images', column),
        ),
      }),
    );

    await createTable(
      new Table({
        name: 'anime',
        columns: [
          id('anime_id', dialect),
          string('name'),
          string('slug', 255, true),
          nullableInt('year'),
          nullableInt('season'),
          nullableInt('media_format'),
          nullableText('synopsis'),
          ...softDeleteTimestamps(),
        ],
      }),
    );

    await createTable(
      new Table({
        name: 'artists',
        columns: [
          id('artist_id', dialect),
          string('name'),
          string('slug', 255, true),
          nullableText('information'),
          ...softDeleteTimestamps(),
        ],
      }),
    );

    await createTable(
      new Table({
        name: 'studios',
        columns: [
          id('studio_id', dialect),
          string('name'),
          string('slug', 255, true),
          ...softDeleteTimestamps(),
        ],
      }),
    );

    await createTable(
      new Table({
        name: 'playlists',
        columns: [
          id('playlist_id', dialect),
          string('hashid', 64, true),
          string('name'),
          nullableText('description'),
          { name: 'visibility', type: 'int', isNullable: false },
          ...softDeleteTimestamps(),
        ],
      }),
    );

    await createTable(pivot('anime'));
    await createTable(pivot('artists', [nullableInt('depth')]));
    await createTable(pivot('studios'));
    await createTable(pivot('playlists'));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'playlist_image',
      'studio_image',
      'artist_image',
      'anime_image',
      'playlists',
      'studios',
      'artists',
      'anime',
      'images',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
