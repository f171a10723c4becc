import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../src/database/data-source';
import { createTestDatabase, TestDatabase, testDatabaseKinds } from './helpers/test-database';

/**
 * The schema both databases end up with after the migrations, compared with API.md section 2.
 * Types are compared by class: SQLite has no `unsigned`, and its auto-increment key must be an
 * `INTEGER PRIMARY KEY` (the 64-bit rowid), which stands for `bigint unsigned` there.
 */
interface ColumnShape {
  name: string;
  type: string;
  nullable: boolean;
  autoIncrement: boolean;
  /** Server-side default or ON UPDATE clause; none of the contract's columns has one. */
  default: string | null;
}

interface ForeignKeyShape {
  columns: string[];
  references: string;
  onDelete: string;
}

interface TableShape {
  columns: ColumnShape[];
  primaryKey: string[];
  /** Non-unique indexes by name. */
  indexes: Record<string, string[]>;
  /** Unique keys other than the primary key, by their columns. */
  uniqueKeys: string[][];
  foreignKeys: ForeignKeyShape[];
}

const column = (name: string, type: string, nullable = false): ColumnShape => ({
  name,
  type,
  nullable,
  autoIncrement: false,
  default: null,
});
const id = (name: string): ColumnShape => ({
  ...column(name, 'bigint unsigned'),
  autoIncrement: true,
});
const timestamps = (): ColumnShape[] => [
  column('created_at', 'timestamp(6)'),
  column('updated_at', 'timestamp(6)'),
];
const softDeleteTimestamps = (): ColumnShape[] => [
  ...timestamps(),
  column('deleted_at', 'timestamp(6)', true),
];
/** `(deleted_at, column, key)`: the soft-delete condition and the filter or sort share one index. */
const liveIndexes = (table: string, key: string, columns: string[]): Record<string, string[]> =>
  Object.fromEntries<string[]>([
    [`${table}_deleted_at_${key}_index`, ['deleted_at', key]],
    ...columns.map((name): [string, string[]] => [
      `${table}_deleted_at_${name}_index`,
      ['deleted_at', name, key],
    ]),
  ]);

const pivot = (
  name: string,
  key: string,
  parent: string,
  extra: ColumnShape[] = [],
): TableShape => ({
  columns: [
    column(key, 'bigint unsigned'),
    column('image_id', 'bigint unsigned'),
    ...extra,
    ...timestamps(),
  ],
  primaryKey: [key, 'image_id'],
  // Each sort of the link list: `(column, key, image_id)`, the keys as its tie-breakers.
  indexes: Object.fromEntries([
    [`${name}_image_id_index`, ['image_id']],
    ...[...extra.map((shape) => shape.name), 'created_at', 'updated_at'].map((sorted) => [
      `${name}_${sorted}_index`,
      [sorted, key, 'image_id'],
    ]),
  ]),
  uniqueKeys: [],
  foreignKeys: [
    { columns: [key], references: `${parent}(${key})`, onDelete: 'CASCADE' },
    { columns: ['image_id'], references: 'images(image_id)', onDelete: 'CASCADE' },
  ],
});

/** API.md section 2, as a table. */
const EXPECTED_SCHEMA: Record<string, TableShape> = {
  images: {
    columns: [
      id('image_id'),
      column('path', 'varchar(255)'),
      column('facet', 'int'),
      ...softDeleteTimestamps(),
    ],
    primaryKey: ['image_id'],
    indexes: liveIndexes('images', 'image_id', ['path', 'facet', 'created_at', 'updated_at']),
    uniqueKeys: [],
    foreignKeys: [],
  },
  anime: {
    columns: [
      id('anime_id'),
      column('name', 'varchar(255)'),
      column('slug', 'varchar(255)'),
      column('year', 'int', true),
      column('season', 'int', true),
      column('media_format', 'int', true),
      column('synopsis', 'text', true),
      ...softDeleteTimestamps(),
    ],
    primaryKey: ['anime_id'],
    indexes: {},
    uniqueKeys: [['slug']],
    foreignKeys: [],
  },
  artists: {
    columns: [
      id('artist_id'),
      column('name', 'varchar(255)'),
      column('slug', 'varchar(255)'),
      column('information', 'text', true),
      ...softDeleteTimestamps(),
    ],
    primaryKey: ['artist_id'],
    indexes: {},
    uniqueKeys: [['slug']],
    foreignKeys: [],
  },
  studios: {
    columns: [
      id('studio_id'),
      column('name', 'varchar(255)'),
      column('slug', 'varchar(255)'),
      ...softDeleteTimestamps(),
    ],
    primaryKey: ['studio_id'],
    indexes: {},
    uniqueKeys: [['slug']],
    foreignKeys: [],
  },
  playlists: {
    columns: [
      id('playlist_id'),
      column('hashid', 'varchar(64)'),
      column('name', 'varchar(255)'),
      column('description', 'text', true),
      column('visibility', 'int'),
      ...softDeleteTimestamps(),
    ],
    primaryKey: ['playlist_id'],
    indexes: {},
    uniqueKeys: [['hashid']],
    foreignKeys: [],
  },
  anime_image: pivot('anime_image', 'anime_id', 'anime'),
  artist_image: pivot('artist_image', 'artist_id', 'artists', [column('depth', 'int', true)]),
  studio_image: pivot('studio_image', 'studio_id', 'studios'),
  playlist_image: pivot('playlist_image', 'playlist_id', 'playlists'),
  // Not in API.md: one row per table, bumped by every write (conditional GETs, docs/PERFORMANCE.md).
  change_versions: {
    columns: [
      column('table_name', 'varchar(64)'),
      column('version', 'bigint unsigned'),
      column('changed_at', 'timestamp(6)'),
    ],
    primaryKey: ['table_name'],
    indexes: {},
    uniqueKeys: [],
    foreignKeys: [],
  },
  // Not in API.md: the transactional outbox of the domain events (docs/microservice.md).
  image_event_outbox: {
    columns: [
      id('outbox_id'),
      column('event_id', 'varchar(36)'),
      column('event_type', 'varchar(32)'),
      column('image_id', 'bigint unsigned'),
      column('actor', 'varchar(255)'),
      column('occurred_at', 'timestamp(6)'),
      column('payload', 'text'),
      column('published_at', 'timestamp(6)', true),
    ],
    primaryKey: ['outbox_id'],
    indexes: {
      image_event_outbox_published_at_outbox_id_index: ['published_at', 'outbox_id'],
    },
    uniqueKeys: [['event_id']],
    foreignKeys: [],
  },
  // Not in API.md: stored files to remove after a force delete commits, and the guards of
  // uploads not yet named by a committed row (docs/storage.md).
  storage_deletions: {
    columns: [
      id('storage_deletion_id'),
      column('path', 'varchar(255)'),
      column('attempts', 'int'),
      column('next_attempt_at', 'timestamp(6)'),
      column('last_error', 'varchar(255)', true),
      column('created_at', 'timestamp(6)'),
    ],
    primaryKey: ['storage_deletion_id'],
    indexes: {
      storage_deletions_next_attempt_at_index: ['next_attempt_at', 'storage_deletion_id'],
      storage_deletions_path_index: ['path'],
    },
    uniqueKeys: [],
    foreignKeys: [],
  },
  // Not in API.md: the primary's clock as each replica has it, for the replica lag (docs/scaling.md).
  replica_heartbeat: {
    columns: [column('heartbeat_id', 'int'), column('beat_at', 'timestamp(6)')],
    primaryKey: ['heartbeat_id'],
    indexes: {},
    uniqueKeys: [],
    foreignKeys: [],
  },
  // Not in API.md: the answers of writes sent with an Idempotency-Key (API.md section 10).
  idempotency_keys: {
    columns: [
      column('key_hash', 'char(64)'),
      column('request_hash', 'char(64)'),
      column('result', 'text'),
      column('created_at', 'timestamp(6)'),
    ],
    primaryKey: ['key_hash'],
    indexes: { idempotency_keys_created_at_index: ['created_at'] },
    uniqueKeys: [],
    foreignKeys: [],
  },
};

const sortKeys = (shape: TableShape): TableShape => ({
  ...shape,
  uniqueKeys: [...shape.uniqueKeys].sort(),
  foreignKeys: [...shape.foreignKeys].sort((a, b) =>
    a.columns.join().localeCompare(b.columns.join()),
  ),
});

async function readSqliteSchema(dataSource: DataSource): Promise<Record<string, TableShape>> {
  const query = <T>(sql: string) => dataSource.query<T[]>(sql);
  const tables = await query<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  const schema: Record<string, TableShape> = {};
  for (const { name, sql } of tables) {
    if (!(name in EXPECTED_SCHEMA)) continue;
    const info = await query<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>(`PRAGMA table_info("${name}")`);
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const columns = info.map((c): ColumnShape => {
      // The rowid alias: INTEGER PRIMARY KEY (AUTOINCREMENT) is SQLite's 64-bit auto-increment key.
      const isRowid = primaryKey.length === 1 && c.pk === 1 && c.type.toLowerCase() === 'integer';
      const type = c.type.toLowerCase();
      return {
        name: c.name,
        type: isRowid || type === 'bigint' ? 'bigint unsigned' : type,
        nullable: c.notnull === 0 && !isRowid,
        autoIncrement: isRowid && /AUTOINCREMENT/i.test(sql),
        default: c.dflt_value,
      };
    });
    const indexes: Record<string, string[]> = {};
    const uniqueKeys: string[][] = [];
    for (const index of await query<{ name: string; unique: number; origin: string }>(
      `PRAGMA index_list("${name}")`,
    )) {
      if (index.origin === 'pk') continue;
      const keyColumns = (
        await query<{ seqno: number; name: string }>(`PRAGMA index_info("${index.name}")`)
      )
        .sort((a, b) => a.seqno - b.seqno)
        .map((c) => c.name);
      if (index.unique === 1) uniqueKeys.push(keyColumns);
      else indexes[index.name] = keyColumns;
    }
    const references = await query<{
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string;
      on_delete: string;
    }>(`PRAGMA foreign_key_list("${name}")`);
    const foreignKeys = [...new Set(references.map((r) => r.id))].map((fk): ForeignKeyShape => {
      const parts = references.filter((r) => r.id === fk).sort((a, b) => a.seq - b.seq);
      return {
        columns: parts.map((r) => r.from),
        references: `${parts[0].table}(${parts.map((r) => r.to).join(', ')})`,
        onDelete: parts[0].on_delete,
      };
    });
    schema[name] = sortKeys({ columns, primaryKey, indexes, uniqueKeys, foreignKeys });
  }
  return schema;
}

interface MysqlExtras {
  /** `table.column` → `charset/collation` of every string column. */
  collations: Record<string, string>;
  engines: Record<string, string>;
}

async function readMysqlSchema(
  dataSource: DataSource,
): Promise<{ schema: Record<string, TableShape>; extras: MysqlExtras }> {
  const query = <T>(sql: string) => dataSource.query<T[]>(sql);
  const tables = await query<{ name: string; engine: string }>(
    'SELECT TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  );
  const columns = await query<{
    table: string;
    name: string;
    columnType: string;
    nullable: string;
    extra: string;
    columnDefault: string | null;
    charset: string | null;
    collation: string | null;
  }>(
    `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable,
            EXTRA AS extra, COLUMN_DEFAULT AS columnDefault, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  const statistics = await query<{
    table: string;
    name: string;
    nonUnique: number | string;
    column: string;
  }>(
    `SELECT TABLE_NAME AS \`table\`, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS \`column\`
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  const references = await query<{
    table: string;
    constraintName: string;
    column: string;
    referencedTable: string;
    referencedColumn: string;
    deleteRule: string;
  }>(
    `SELECT k.TABLE_NAME AS \`table\`, k.CONSTRAINT_NAME AS constraintName, k.COLUMN_NAME AS \`column\`,
            k.REFERENCED_TABLE_NAME AS referencedTable, k.REFERENCED_COLUMN_NAME AS referencedColumn, r.DELETE_RULE AS deleteRule
     FROM information_schema.KEY_COLUMN_USAGE k
     JOIN information_schema.REFERENTIAL_CONSTRAINTS r
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );

  const schema: Record<string, TableShape> = {};
  const extras: MysqlExtras = { collations: {}, engines: {} };
  for (const { name, engine } of tables) {
    if (!(name in EXPECTED_SCHEMA)) continue;
    extras.engines[name] = engine;
    const tableColumns = columns.filter((c) => c.table === name);
    for (const c of tableColumns) {
      if (c.charset !== null)
        extras.collations[`${name}.${c.name}`] = `${c.charset}/${c.collation}`;
    }
    const indexNames = [...new Set(statistics.filter((s) => s.table === name).map((s) => s.name))];
    const keyColumns = (index: string) =>
      statistics.filter((s) => s.table === name && s.name === index).map((s) => s.column);
    const isUnique = (index: string) =>
      Number(statistics.find((s) => s.table === name && s.name === index)?.nonUnique) === 0;
    const tableReferences = references.filter((r) => r.table === name);
    schema[name] = sortKeys({
      columns: tableColumns.map((c) => {
        const extra = c.extra.toLowerCase();
        const onUpdate = /on update (.*)/.exec(extra)?.[1];
        return {
          name: c.name,
          // Display widths (`bigint(20)`, `int(11)`) are MariaDB/MySQL 5 noise; MySQL 8 omits them.
          type: c.columnType.toLowerCase().replace(/^(bigint|int)\(\d+\)/, '$1'),
          nullable: c.nullable === 'YES',
          autoIncrement: extra.includes('auto_increment'),
          // MariaDB reports a missing default of a nullable column as the string NULL.
          default:
            [
              c.columnDefault === 'NULL' ? null : c.columnDefault,
              onUpdate && `ON UPDATE ${onUpdate}`,
            ]
              .filter((part) => part !== null && part !== undefined)
              .join(' ') || null,
        };
      }),
      primaryKey: keyColumns('PRIMARY'),
      indexes: Object.fromEntries(
        indexNames
          .filter((index) => index !== 'PRIMARY' && !isUnique(index))
          .map((index) => [index, keyColumns(index)]),
      ),
      uniqueKeys: indexNames
        .filter((index) => index !== 'PRIMARY' && isUnique(index))
        .map(keyColumns),
      foreignKeys: [...new Set(tableReferences.map((r) => r.constraintName))].map((constraint) => {
        const parts = tableReferences.filter((r) => r.constraintName === constraint);
        return {
          columns: parts.map((r) => r.column),
          references: `${parts[0].referencedTable}(${parts.map((r) => r.referencedColumn).join(', ')})`,
          onDelete: parts[0].deleteRule,
        };
      }),
    });
  }
  return { schema, extras };
}

const expected = Object.fromEntries(
  Object.entries(EXPECTED_SCHEMA).map(([name, shape]) => [name, sortKeys(shape)]),
);

describe.each(testDatabaseKinds())('schema after the migrations [%s]', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    if (database.config.type === 'mysql') {
      const { host, port, username, password, database: name } = database.config;
      // A server whose defaults would spoil the schema: latin1, and the implicit
      // DEFAULT/ON UPDATE CURRENT_TIMESTAMP of MariaDB before 10.10. The migration must not care.
      const admin = await createConnection({ host, port, user: username, password });
      await admin.query(
        `ALTER DATABASE \`${name}\` CHARACTER SET latin1 COLLATE latin1_swedish_ci`,
      );
      await admin.end();
      dataSource = await openDataSource({ ...database.config, poolSize: 1 });
      await dataSource.query('SET SESSION explicit_defaults_for_timestamp = 0');
    } else {
      dataSource = await openDataSource(database.config);
    }
    await dataSource.runMigrations();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const readSchema = async () =>
    kind === 'mysql' ? (await readMysqlSchema(dataSource)).schema : readSqliteSchema(dataSource);

  it('should have every table of API.md section 2', async () => {
    // Internal tables of later features (bookkeeping) may sit beside them.
    expect(Object.keys(await readSchema())).toEqual(
      expect.arrayContaining(Object.keys(EXPECTED_SCHEMA)),
    );
  });

  it.each(Object.keys(EXPECTED_SCHEMA))(
    'should give %s the columns, keys, indexes and foreign keys of the contract',
    async (table) => {
      expect((await readSchema())[table]).toEqual(expected[table]);
    },
  );

  if (kind === 'mysql') {
    it('should make every string column utf8mb4_unicode_ci and every table InnoDB, on a latin1 database', async () => {
      const { extras } = await readMysqlSchema(dataSource);
      const stringColumns = Object.entries(EXPECTED_SCHEMA).flatMap(([table, shape]) =>
        shape.columns
          .filter((c) => /^(varchar|char|text)/.test(c.type))
          .map((c) => `${table}.${c.name}`),
      );
      expect(extras.collations).toEqual(
        Object.fromEntries(stringColumns.map((name) => [name, 'utf8mb4/utf8mb4_unicode_ci'])),
      );
      expect(new Set(Object.values(extras.engines))).toEqual(new Set(['InnoDB']));
    });
  }
});
