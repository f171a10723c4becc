import { Logger } from '@nestjs/common';
import { IMAGE_QUERY_SCHEMA } from '../src/image/image.query-schema';
import { ImageIndexCheckService } from '../src/image/image-index-check.service';
import {
  describeUnserved,
  findUnservedIndexes,
  indexRequirements,
} from '../src/query/typeorm/index-check';
import { seedDatabase } from '../src/seed/database-seeder';
import type { PivotDefinition } from '../src/pivot/pivot-definition';
import { ARTIST_IMAGE, PIVOTS } from '../src/pivot/pivots';
import type { PageBody } from '../src/query';
import { MARIADB_DEPENDENT_SUBQUERIES } from '../src/query/typeorm/sql-fragments';
import { insertImageRow } from './helpers/image-rows';
import { RecordedStatement, recordStatementsWithParameters } from './helpers/statement-recorder';
import { createTestApp, describeEachDatabase, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';

/**
 * The index check at start: the migrated schema serves every filterable and sortable image column
 * and every pivot join; dropping one index is reported by name (and logged as a warning).
 */
describeEachDatabase('index check at start', (context) => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('should require an index for each filterable or sortable image column and both sides of each pivot', () => {
    expect(indexRequirements(IMAGE_QUERY_SCHEMA).map(describeUnserved)).toEqual([
      'images: no index starts with (image_id, ...) or (deleted_at, image_id, ...), needed for filter and sort by image_id',
      'images: no index starts with (path, ...) or (deleted_at, path, ...), needed for filter and sort by path',
      'images: no index starts with (facet, ...) or (deleted_at, facet, ...), needed for filter and sort by facet',
      'images: no index starts with (created_at, ...) or (deleted_at, created_at, ...), needed for filter and sort by created_at',
      'images: no index starts with (updated_at, ...) or (deleted_at, updated_at, ...), needed for filter and sort by updated_at',
      'images: no index starts with (deleted_at, ...), needed for filter and sort by deleted_at',
      'anime_image: no index starts with (image_id, ...), needed for include=anime and filter[has]=anime (anime_image by images)',
      'anime_image: no index starts with (anime_id, ...), needed for the images of one anime (anime_image by anime)',
      'anime: no index starts with (anime_id, ...), needed for include=anime (joined from anime_image)',
      'artist_image: no index starts with (image_id, ...), needed for include=artists and filter[has]=artists (artist_image by images)',
      'artist_image: no index starts with (artist_id, ...), needed for the images of one artist (artist_image by artists)',
      'artists: no index starts with (artist_id, ...), needed for include=artists (joined from artist_image)',
      'studio_image: no index starts with (image_id, ...), needed for include=studios and filter[has]=studios (studio_image by images)',
      'studio_image: no index starts with (studio_id, ...), needed for the images of one studio (studio_image by studios)',
      'studios: no index starts with (studio_id, ...), needed for include=studios (joined from studio_image)',
      'playlist_image: no index starts with (image_id, ...), needed for include=playlists and filter[has]=playlists (playlist_image by images)',
      'playlist_image: no index starts with (playlist_id, ...), needed for the images of one playlist (playlist_image by playlists)',
      'playlists: no index starts with (playlist_id, ...), needed for include=playlists (joined from playlist_image)',
    ]);
  });

  it('should find every requirement of images and pivots served by the migrated schema, and log no warning', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await findUnservedIndexes(context().dataSource, IMAGE_QUERY_SCHEMA)).toEqual([]);
    // The pivot lists filter and sort by their own columns (`created_at`, `depth`...) too.
    for (const pivot of PIVOTS) {
      expect(await findUnservedIndexes(context().dataSource, pivot.schema)).toEqual([]);
    }
    expect(await context().app.get(ImageIndexCheckService).check()).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('should report and log an image column and a pivot join whose index was dropped', async () => {
    for (let id = 1; id <= 5; id++) await insertImageRow(context().dataSource, { image_id: id });
    // A keyset page by path before and after its index is dropped (on MySQL it names that index).
    const keysetPage = async () => {
      const first = await context().http().get('/api/image?sort=path&page[size]=2&page[cursor]=');
      const next = new URL(first.body.links.next as string);
      const page = await context().http().get(`${next.pathname}${next.search}`).expect(200);
      return page.body.images.map((image: { image_id: number }) => image.image_id) as number[];
    };
    expect(await keysetPage()).toEqual([3, 4]);

    const runner = context().dataSource.createQueryRunner();
    try {
      await runner.dropIndex('images', 'images_deleted_at_path_index');
      // On MySQL the foreign key on image_id needs an index of its own: it goes first.
      if (context().database.kind === 'mysql') {
        await runner.dropForeignKey('studio_image', 'studio_image_image_id_foreign');
      }
      await runner.dropIndex('studio_image', 'studio_image_image_id_index');
    } finally {
      await runner.release();
    }
    expect(await keysetPage()).toEqual([3, 4]);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unserved = await context().app.get(ImageIndexCheckService).check();
    const messages = [
      'images: no index starts with (path, ...) or (deleted_at, path, ...), needed for filter and sort by path',
      'studio_image: no index starts with (image_id, ...), needed for include=studios and filter[has]=studios (studio_image by images)',
    ];
    expect(unserved.map(describeUnserved)).toEqual(messages);
    expect(warn.mock.calls).toEqual(messages.map((message) => [`Missing index: ${message}`]));

    // A service starting on that database says so in its log.
    warn.mockClear();
    const second = await createTestApp(context().database.kind, { database: context().database });
    await second.close();
    const indexWarnings = warn.mock.calls.filter(([line]) => String(line).includes('index'));
    expect(indexWarnings).toEqual(messages.map((message) => [`Missing index: ${message}`]));
  });
});

/**
 * The pivot lists' sorts on MariaDB: for every sortable column of each pivot, in both directions,
 * the page statement the service sends (page 1, and a keyset page after a position, which names its
 * index) reads an index in the sort's order: no full scan, no filesort. On a seeded database, so
 * that the planner weighs real row counts.
 */
if (testDatabaseKinds().includes('mysql')) {
  describe('pivot list sorts served by an index [mysql]', () => {
    let app: TestApp;
    let statements: RecordedStatement[];

    beforeAll(async () => {
      app = await createTestApp('mysql');
      await seedDatabase(app.dataSource, { images: 3000 });
      // The demo links most images to one owner; each pivot links every image here too.
      for (const pivot of PIVOTS) {
        const table = pivot.schema.table;
        const parents = `(SELECT COUNT(*) FROM ${pivot.parent.schema.table})`;
        const [depth, depthValue] = pivot.depth ? [', depth', ', 1 + image_id % 4'] : ['', ''];
        await app.dataSource.query(
          `INSERT IGNORE INTO ${table} (${pivot.parentColumn}, image_id${depth}, created_at, updated_at)` +
            ` SELECT 1 + image_id % ${parents}, image_id${depthValue}, created_at, updated_at FROM images`,
        );
        await app.dataSource.query(`ANALYZE TABLE ${table}`);
      }
      statements = recordStatementsWithParameters(app.dataSource);
    });

    afterAll(async () => {
      await app?.close();
    });

    /** MariaDB's plan of the page statement of one GET, and the page's next link. */
    const planOf = async (
      table: string,
      url: string,
    ): Promise<{ plan: PlanRow[]; next: string }> => {
      statements.length = 0;
      const response = await app.http().get(url).expect(200);
      const pages = statements.filter(({ sql }) => sql.includes(`FROM \`${table}\` \`root\``));
      expect(pages).toHaveLength(1);
      const [{ sql, parameters }] = pages;
      // The optimizer setting of the to-one tests goes before EXPLAIN.
      const prefix = sql.startsWith(MARIADB_DEPENDENT_SUBQUERIES)
        ? MARIADB_DEPENDENT_SUBQUERIES
        : '';
      const plan = await app.dataSource.query<PlanRow[]>(
        `${prefix}EXPLAIN ${sql.slice(prefix.length)}`,
        [...parameters],
      );
      return { plan, next: String((response.body as PageBody).links.next) };
    };

    const sorts = PIVOTS.flatMap((pivot) =>
      pivot.schema.fields
        .filter((field) => field.sortable)
        .flatMap((field) => [field.name, `-${field.name}`])
        .map((sort): [string, string, string] => [pivot.name, sort, expectedIndex(pivot, sort)]),
    );

    it.each(sorts)('should read /api/%s?sort=%s in the order of %s', async (name, sort, index) => {
      const table = PIVOTS.find((pivot) => pivot.name === name)!.schema.table;
      const base = `/api/${name}?sort=${sort}&page[size]=5`;
      const first = await planOf(table, base);
      const keysetFirst = await planOf(table, `${base}&page[cursor]=`);
      const next = new URL(keysetFirst.next);
      const after = await planOf(table, `${next.pathname}${next.search}`);
      for (const [{ plan }, access] of [
        [first, 'index'],
        [keysetFirst, 'index'],
        [after, 'range'],
      ] as const) {
        const root = plan.find((row) => row.table === 'root');
        expect({ type: root?.type, key: root?.key }).toEqual({ type: access, key: index });
        for (const row of plan) expect(String(row.Extra)).not.toMatch(/filesort|temporary/);
      }
    });

    // A filter on a side that passes many of its rows: the page still reads the links in its
    // order and looks each side up by primary key (no full scan of the parent, no filesort), where
    // MariaDB's own plan scanned the parent table and sorted every matching link.
    const broad = PIVOTS.flatMap((pivot): [string, string, string][] => {
      const { type } = pivot.parent.schema;
      return [
        [pivot.name, 'filter[image][facet]=Grill', 'PRIMARY'],
        [
          pivot.name,
          'filter[image][facet]=Grill&sort=-created_at',
          expectedIndex(pivot, 'created_at'),
        ],
        [pivot.name, `filter[${type}][created_at-gte]=2000`, 'PRIMARY'],
        [pivot.name, `filter[${type}][${pivot.parent.keyColumn}-like]=%25a%25`, 'PRIMARY'],
      ];
    });
    broad.push(
      [
        'artistimage',
        'filter[image][facet]=Grill&sort=-depth',
        expectedIndex(ARTIST_IMAGE, 'depth'),
      ],
      ['animeimage', 'filter[anime][year-gte]=1900&filter[anime][season]=Winter', 'PRIMARY'],
      ['animeimage', 'filter[anime][slug]=x&filter[anime][year-gte-or]=1900', 'PRIMARY'],
    );

    it.each(broad)('should read /api/%s?%s in the order of %s', async (name, filter, index) => {
      const pivot = PIVOTS.find((candidate) => candidate.name === name)!;
      const { plan } = await planOf(pivot.schema.table, `/api/${name}?${filter}&page[size]=5`);
      expect(plan.map((row) => [row.table, row.type, row.key])).toEqual([
        ['root', 'index', index],
        ['to_one_1', 'unique_subquery', 'PRIMARY'],
        ['to_one_0', 'unique_subquery', 'PRIMARY'],
      ]);
      for (const row of plan) expect(String(row.Extra)).not.toMatch(/filesort|temporary/);
    });

    // The rule below trusts `unique: true`: it must mark exactly the one-column unique indexes.
    it('should declare unique exactly the side columns that have a unique index of their own', async () => {
      const sides = [...PIVOTS.map((pivot) => pivot.parent.schema), IMAGE_QUERY_SCHEMA];
      const declared = sides.flatMap((side) =>
        side.fields
          .filter((field) => field.unique === true)
          .map((field) => `${side.table}.${field.column}`),
      );
      const indexed = await app.dataSource.query<{ name: string }[]>(
        "SELECT CONCAT(TABLE_NAME, '.', MAX(COLUMN_NAME)) AS name FROM information_schema.STATISTICS" +
          " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'" +
          ' GROUP BY TABLE_NAME, INDEX_NAME HAVING COUNT(*) = 1 ORDER BY name',
        [sides.map((side) => side.table)],
      );
      expect(declared.sort()).toEqual(indexed.map((row) => row.name));
    });

    // A filter on a unique key of a side (its slug or hashid, its id; one value or a list) keeps
    // MariaDB's own plan: it starts from those few rows by that key and reads only their links.
    it.each(PIVOTS.map((pivot) => [pivot.name]))(
      'should start /api/%s filtered on a unique key of a side from the rows it names',
      async (name) => {
        const pivot = PIVOTS.find((candidate) => candidate.name === name)!;
        const { type, table, primaryKey, fixedConditions } = pivot.parent.schema;
        const key = pivot.parent.keyColumn;
        // Rows the page shows (a hidden one is an impossible WHERE to MariaDB, with no plan).
        const shown = [
          'deleted_at IS NULL',
          ...Object.keys(fixedConditions ?? {}).map((c) => `${c} = ?`),
        ];
        const rows = await app.dataSource.query<Record<string, string>[]>(
          `SELECT ${primaryKey}, ${key} FROM ${table} WHERE ${shown.join(' AND ')}` +
            ` ORDER BY ${primaryKey} LIMIT 3`,
          Object.values(fixedConditions ?? {}),
        );
        const keys = rows.map((row) => row[key]);
        const [{ image_id: imageId }] = await app.dataSource.query<{ image_id: number }[]>(
          'SELECT image_id FROM images WHERE deleted_at IS NULL ORDER BY image_id LIMIT 1',
        );
        const [{ INDEX_NAME: unique }] = await app.dataSource.query<{ INDEX_NAME: string }[]>(
          'SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()' +
            ' AND TABLE_NAME = ? AND COLUMN_NAME = ? AND NON_UNIQUE = 0',
          [table, key],
        );
        const plans: (string | null)[][][] = [];
        for (const filter of [
          `filter[${type}][${key}]=${keys[0]}`,
          `filter[${type}][${key}]=${keys.join(',')}&sort=-created_at`,
          `filter[${type}][${primaryKey}]=${rows[0][primaryKey]}`,
          `filter[image][image_id]=${imageId}`,
        ]) {
          const { plan } = await planOf(pivot.schema.table, `/api/${name}?${filter}`);
          plans.push(plan.map((row) => [row.table, row.type, row.key]));
        }
        expect(plans).toEqual([
          [
            ['to_one_0', 'const', unique],
            ['root', 'ref', 'PRIMARY'],
            ['to_one_1', 'eq_ref', 'PRIMARY'],
          ],
          [
            ['to_one_0', 'range', unique],
            ['root', 'ref', 'PRIMARY'],
            ['to_one_1', 'eq_ref', 'PRIMARY'],
          ],
          [
            ['to_one_0', 'const', 'PRIMARY'],
            ['root', 'ref', 'PRIMARY'],
            ['to_one_1', 'eq_ref', 'PRIMARY'],
          ],
          [
            ['to_one_1', 'const', 'PRIMARY'],
            ['root', 'ref', `${pivot.schema.table}_image_id_index`],
            ['to_one_0', 'eq_ref', 'PRIMARY'],
          ],
        ]);
      },
    );
  });
}

interface PlanRow {
  table: string;
  type: string;
  key: string | null;
  Extra: string | null;
}

/** The index a sort reads: its column's own, `(column, <parent>_id, image_id)`; the keys' for ids. */
function expectedIndex(pivot: PivotDefinition, sort: string): string {
  const column = sort.replace(/^-/, '');
  if (column === pivot.parentColumn) return 'PRIMARY';
  return `${pivot.schema.table}_${column}_index`;
}
