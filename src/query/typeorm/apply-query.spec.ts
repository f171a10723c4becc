import { DataSource } from 'typeorm';
import { openDataSource } from '../../database/data-source';
import type { CursorValue } from '../cursor';
import { orderTermsFor } from '../query-plan';
import type {
  FilterCondition,
  ParsedQuery,
  RootResourceSchema,
  SortTerm,
  TrashedMode,
} from '../query.types';
import type { RawRow } from '../resource-renderer';
import {
  KeysetPage,
  selectIncluded,
  selectOne,
  selectPage,
  withFirstParameter,
} from './apply-query';
import { loadIncludes } from './include-loader';
import { RawReader } from './raw-reader';
import { MARIADB_DEPENDENT_SUBQUERIES, MARIADB_NO_MATERIALIZATION } from './sql-fragments';
import { TEST_SCHEMA } from './test-schema.fixture';

const T = (day: number) => `2024-01-${String(day).padStart(2, '0')} 00:00:00.000000`;

function query(overrides: Partial<ParsedQuery> = {}): ParsedQuery {
  return {
    include: [],
    fields: {},
    filters: [],
    trashed: 'without',
    sort: {},
    page: { size: 15, number: 1 },
    ...overrides,
  };
}

function filter(
  field: string,
  values: (string | number)[],
  options: Partial<FilterCondition> = {},
): FilterCondition {
  return {
    key: `filter.${field}`,
    field,
    operator: 'eq',
    logic: 'and',
    negated: false,
    values,
    ...options,
  };
}

describe('SQL statements of a parsed query (SQLite in memory)', () => {
  let dataSource: DataSource;
  const reader = () => RawReader.of(dataSource);
  const dialect = () => reader().dialect;

  const ids = async (parsed: ParsedQuery): Promise<number[]> => {
    const rows = await reader().all<{
      image_id: number;
    }>(selectPage(dialect(), TEST_SCHEMA, parsed));
    return rows.map((row) => Number(row.image_id));
  };

  beforeAll(async () => {
    dataSource = await openDataSource({ type: 'sqlite', path: ':memory:' });
    await dataSource.runMigrations();
    const run = (sql: string) => dataSource.query(sql);
    await run(
      `INSERT INTO images (image_id, path, facet, created_at, updated_at, deleted_at) VALUES
       (1, 'a/1.jpg', 1, '${T(1)}', '${T(1)}', NULL),
       (2, 'b/2.jpg', 0, '${T(2)}', '${T(2)}', NULL),
       (3, 'c/3.png', 2, '${T(3)}', '${T(3)}', NULL),
       (4, 'd/4.jpg', 1, '${T(4)}', '${T(4)}', '${T(5)}'),
       (5, 'e/5.jpg', 2, '${T(5)}', '${T(5)}', NULL)`,
    );
    await run(
      `INSERT INTO anime (anime_id, name, slug, year, season, created_at, updated_at, deleted_at) VALUES
       (1, 'Zeta', 'zeta', 2020, 0, '${T(1)}', '${T(1)}', NULL),
       (2, 'Alpha', 'alpha', NULL, NULL, '${T(2)}', '${T(2)}', NULL),
       (3, 'Gone', 'gone', 2020, 1, '${T(3)}', '${T(3)}', '${T(4)}')`,
    );
    await run(
      `INSERT INTO anime_image (anime_id, image_id, created_at, updated_at) VALUES
       (1, 1, '${T(1)}', '${T(1)}'), (2, 1, '${T(1)}', '${T(1)}'), (1, 2, '${T(1)}', '${T(1)}'),
       (3, 3, '${T(1)}', '${T(1)}')`,
    );
    await run(
      `INSERT INTO artists (artist_id, name, slug, created_at, updated_at) VALUES
       (1, 'Artist', 'artist', '${T(1)}', '${T(1)}')`,
    );
    await run(
      `INSERT INTO artist_image (artist_id, image_id, depth, created_at, updated_at) VALUES
       (1, 1, 3, '${T(1)}', '${T(1)}'), (1, 2, NULL, '${T(1)}', '${T(1)}')`,
    );
    await run(
      `INSERT INTO playlists (playlist_id, hashid, name, visibility, created_at, updated_at) VALUES
       (1, 'pub', 'Public', 0, '${T(1)}', '${T(1)}'), (2, 'priv', 'Private', 1, '${T(1)}', '${T(1)}'),
       (3, 'unl', 'Unlisted', 2, '${T(1)}', '${T(1)}')`,
    );
    await run(
      `INSERT INTO playlist_image (playlist_id, image_id, created_at, updated_at) VALUES
       (1, 1, '${T(1)}', '${T(1)}'), (2, 2, '${T(1)}', '${T(1)}'), (3, 3, '${T(1)}', '${T(1)}')`,
    );
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it('should select only the needed columns, scope soft deletes and fetch one row more than the page', () => {
    const { sql: sql, parameters: parameters } = selectPage(
      dialect(),
      TEST_SCHEMA,
      query({ fields: { image: ['link'] }, page: { size: 2, number: 3 } }),
    );
    expect(sql).toBe(
      'SELECT "root"."image_id" AS "image_id", "root"."path" AS "path" FROM "images" "root"' +
        ' WHERE "root"."deleted_at" IS NULL ORDER BY "root"."image_id" ASC LIMIT 3 OFFSET 4',
    );
    expect(parameters).toEqual([]);
  });

  it('should fold filters left to right inside one parenthesised group after the soft-delete scope', async () => {
    const parsed = query({
      filters: [
        filter('facet', [1]),
        filter('path', ['e/%'], { operator: 'like', logic: 'or' }),
        filter('image_id', [1], { operator: 'ne' }),
      ],
    });
    const { sql: sql, parameters: parameters } = selectPage(dialect(), TEST_SCHEMA, parsed);
    expect(sql).toContain(
      `WHERE "root"."deleted_at" IS NULL AND ((("root"."facet" = ? OR "root"."path" LIKE ? ESCAPE '\\') AND "root"."image_id" <> ?))`,
    );
    // Positional, in the order they appear.
    expect(parameters).toEqual([1, 'e/%', 1]);
    // (facet = Cover OR path LIKE 'e/%') AND image_id <> 1; image 4 matches but is soft-deleted.
    expect(await ids(parsed)).toEqual([5]);
  });

  it('should keep soft-deleted rows out even when an or filter matches them', async () => {
    const parsed = query({
      filters: [filter('image_id', [4]), filter('image_id', [2], { logic: 'or' })],
    });
    expect(await ids(parsed)).toEqual([2]);
  });

  it('should apply trashed with and only to the root', async () => {
    expect(await ids(query({ trashed: 'with' }))).toEqual([1, 2, 3, 4, 5]);
    expect(await ids(query({ trashed: 'only' }))).toEqual([4]);
  });

  it('should turn lists into IN and NOT IN and a single -not into <>', async () => {
    expect(await ids(query({ filters: [filter('facet', [0, 2])] }))).toEqual([2, 3, 5]);
    expect(await ids(query({ filters: [filter('facet', [0, 2], { negated: true })] }))).toEqual([
      1,
    ]);
    expect(await ids(query({ filters: [filter('facet', [1], { negated: true })] }))).toEqual([
      2, 3, 5,
    ]);
  });

  it('should bind a number without an SQL spelling as a string that matches nothing', async () => {
    expect(await ids(query({ filters: [filter('image_id', [Number.NaN])] }))).toEqual([]);
  });

  it('should sort by the asked keys with the primary key as the final tie-breaker, in the direction of the last key', async () => {
    const sort = { image: [{ field: 'facet', direction: 'DESC' as const }] };
    expect(await ids(query({ sort }))).toEqual([5, 3, 1, 2]);
    const ascending = { image: [{ field: 'facet', direction: 'ASC' as const }] };
    expect(await ids(query({ sort: ascending }))).toEqual([2, 1, 3, 5]);
    const { sql: sql } = selectPage(dialect(), TEST_SCHEMA, query({ sort: { image: 'random' } }));
    expect(sql).toContain('ORDER BY RANDOM()');
  });

  describe('keyset pages', () => {
    /** Every id, page by page (size 2), each page starting after (or before) the previous one's end. */
    const walk = async (
      sort: SortTerm[] | undefined,
      trashed: TrashedMode,
      direction: KeysetPage['direction'],
    ): Promise<number[]> => {
      const parsed = query({
        sort: sort === undefined ? {} : { image: sort },
        trashed,
        page: { size: 2, number: 1 },
      });
      const terms = orderTermsFor(TEST_SCHEMA, sort);
      const seen: number[] = [];
      let values: CursorValue[] | undefined;
      let pageCount = 0;
      for (let pages = 0; pages < 10; pages++) {
        pageCount += 1;
        const rows = await reader().all<RawRow>(
          selectPage(dialect(), TEST_SCHEMA, parsed, {
            direction,
            values,
          }),
        );
        const page = rows.slice(0, parsed.page.size);
        seen.push(...page.map((row) => Number(row.image_id)));
        if (rows.length <= parsed.page.size) {
          // Pages of 2, and no empty page at the end: the extra row told when to stop.
          expect(pageCount).toBe(Math.ceil(seen.length / 2));
          return direction === 'after' ? seen : seen.reverse();
        }
        const end = page[page.length - 1];
        values = terms.map((term) => end[term.column] as CursorValue);
      }
      throw new Error('the walk did not end');
    };

    it.each<[string, SortTerm[] | undefined, TrashedMode]>([
      ['the default order', undefined, 'without'],
      ['facet descending', [{ field: 'facet', direction: 'DESC' }], 'without'],
      ['facet ascending', [{ field: 'facet', direction: 'ASC' }], 'with'],
      ['path descending', [{ field: 'path', direction: 'DESC' }], 'with'],
      ['deleted_at ascending (NULLs first)', [{ field: 'deleted_at', direction: 'ASC' }], 'with'],
      ['deleted_at descending (NULLs last)', [{ field: 'deleted_at', direction: 'DESC' }], 'with'],
      [
        'two keys in opposite directions',
        [
          { field: 'facet', direction: 'DESC' },
          { field: 'created_at', direction: 'ASC' },
        ],
        'with',
      ],
      // Found by a probe: past a NULL deleted_at only the first key's branch was left, and the
      // unused bound's value was still bound (SQLite: "Too many parameter values").
      [
        'the primary key, then deleted_at descending',
        [
          { field: 'image_id', direction: 'ASC' },
          { field: 'deleted_at', direction: 'DESC' },
        ],
        'with',
      ],
      [
        'the primary key descending, then deleted_at',
        [
          { field: 'image_id', direction: 'DESC' },
          { field: 'deleted_at', direction: 'ASC' },
        ],
        'with',
      ],
    ])(
      'should walk %s page by page both ways, every row once, as the offset order',
      async (_name, sort, trashed) => {
        const parsed = query({ sort: sort === undefined ? {} : { image: sort }, trashed });
        const all = await ids({ ...parsed, page: { size: 100, number: 1 } });
        expect(await walk(sort, trashed, 'after')).toEqual(all);
        expect(await walk(sort, trashed, 'before')).toEqual(all);
      },
    );

    it('should put a redundant bound on a first key that holds no NULL (SQLite reads it as a range)', () => {
      const { sql: sql, parameters: parameters } = selectPage(
        dialect(),
        TEST_SCHEMA,
        query({ sort: { image: [{ field: 'created_at', direction: 'DESC' }] } }),
        { direction: 'after', values: [T(3), 3] },
      );
      expect(sql).toContain(
        ' WHERE "root"."deleted_at" IS NULL AND ("root"."created_at" <= ? AND' +
          ' (("root"."created_at" < ?) OR ("root"."created_at" = ? AND "root"."image_id" < ?)))' +
          ' ORDER BY "root"."created_at" DESC, "root"."image_id" DESC LIMIT 16',
      );
      expect(parameters).toEqual([T(3), T(3), T(3), 3]);
    });

    it('should bind no bound when only one branch is left (a NULL past which nothing lies)', () => {
      const { sql, parameters } = selectPage(
        dialect(),
        TEST_SCHEMA,
        query({
          sort: {
            image: [
              { field: 'image_id', direction: 'ASC' },
              { field: 'deleted_at', direction: 'DESC' },
            ],
          },
          trashed: 'with',
        }),
        { direction: 'after', values: [2, null] },
      );
      expect(sql).toContain(
        ' WHERE ("root"."image_id" > ?) ORDER BY "root"."image_id" ASC, "root"."deleted_at" DESC',
      );
      expect(parameters).toEqual([2]);
    });

    it('should write the position as OR/AND ranges, NULL-aware, and read backwards for before', () => {
      const sort: SortTerm[] = [{ field: 'deleted_at', direction: 'DESC' }];
      const { sql: sql, parameters: parameters } = selectPage(
        dialect(),
        TEST_SCHEMA,
        query({ sort: { image: sort }, trashed: 'with' }),
        { direction: 'after', values: [T(5), 4] },
      );
      expect(sql).toContain(
        ' WHERE ((("root"."deleted_at" < ? OR "root"."deleted_at" IS NULL))' +
          ' OR ("root"."deleted_at" = ? AND "root"."image_id" < ?))' +
          ' ORDER BY "root"."deleted_at" DESC, "root"."image_id" DESC LIMIT 16',
      );
      expect(parameters).toEqual([T(5), T(5), 4]);
      const { sql: backwards } = selectPage(
        dialect(),
        TEST_SCHEMA,
        query({ sort: { image: sort }, trashed: 'with' }),
        { direction: 'before', values: [null, 2] },
      );
      expect(backwards).toContain(
        ' WHERE (("root"."deleted_at" IS NOT NULL) OR ("root"."deleted_at" IS NULL AND "root"."image_id" > ?))' +
          ' ORDER BY "root"."deleted_at" ASC, "root"."image_id" ASC LIMIT 16',
      );
    });
  });

  it('should keep only images with a related row the include would show for filter[has]', async () => {
    // anime 3 is soft-deleted, so image 3 has no anime; playlists 2 and 3 are not Public.
    expect(await ids(query({ has: { relations: ['anime'], logic: 'and' } }))).toEqual([1, 2]);
    expect(await ids(query({ has: { relations: ['playlists'], logic: 'and' } }))).toEqual([1]);
    expect(
      await ids(
        query({
          has: { relations: ['anime'], logic: 'and' },
          filters: [filter('name', ['Alpha'], { scope: 'anime' })],
        }),
      ),
    ).toEqual([1]);
    expect(
      await ids(query({ has: { relations: ['artists', 'playlists'], logic: 'and' } })),
    ).toEqual([1]);
    expect(await ids(query({ has: { relations: ['artists', 'playlists'], logic: 'or' } }))).toEqual(
      [1, 2],
    );
  });

  it("should start a page with filter[has] with the dialect's prefix, and only such a page", () => {
    const mysqlLike = { ...dialect(), hasTestsPrefix: MARIADB_NO_MATERIALIZATION };
    const has = query({ has: { relations: ['anime'], logic: 'and' } });
    const { sql } = selectPage(mysqlLike, TEST_SCHEMA, has);
    expect(sql.startsWith(`${MARIADB_NO_MATERIALIZATION}SELECT "root"."image_id"`)).toBe(true);
    expect(sql).toContain(' AND (EXISTS (SELECT 1 FROM "anime_image" "has_pivot_0"');
    expect(selectPage(mysqlLike, TEST_SCHEMA, query()).sql).toMatch(/^SELECT /);
    // A test narrowed on the related type keeps the database's own plan.
    const narrowed = [
      query({ ...has, filters: [filter('name', ['Alpha'], { scope: 'anime' })] }),
      query({ ...has, trashedByType: { anime: 'only' } }),
      query({
        has: { relations: ['anime', 'artists'], logic: 'or' },
        filters: [filter('name', ['Alpha'], { scope: 'artist' })],
      }),
    ];
    for (const parsed of narrowed) {
      expect(selectPage(mysqlLike, TEST_SCHEMA, parsed).sql).toMatch(/^SELECT .*\(EXISTS \(/);
    }
    // Filters on the images alone, or the related rows' trashed ones too, leave it broad.
    const broad = [
      query({ ...has, filters: [filter('facet', [1])] }),
      query({ ...has, trashedByType: { anime: 'with' } }),
    ];
    for (const parsed of broad) {
      expect(selectPage(mysqlLike, TEST_SCHEMA, parsed).sql).toMatch(/^\/\*M!100102 /);
    }
    // SQLite's dialect has none.
    expect(selectPage(dialect(), TEST_SCHEMA, has).sql).toMatch(/^SELECT /);
    // MySQL reads the prefix as a comment; only MariaDB runs what it holds.
    expect(MARIADB_NO_MATERIALIZATION).toBe(
      "/*M!100102 SET STATEMENT optimizer_switch='materialization=off' FOR */ ",
    );
  });

  it('should start a pivot page with the to-one prefix unless a side filter pins a unique key', () => {
    const anime = TEST_SCHEMA.includes[0].resource;
    const pivot: RootResourceSchema = {
      ...TEST_SCHEMA,
      type: 'animeimage',
      table: 'anime_image',
      primaryKey: 'anime_id',
      keyColumns: ['anime_id', 'image_id'],
      softDeletes: false,
      fields: [
        { ...TEST_SCHEMA.fields[0], name: 'anime_id', column: 'anime_id' },
        TEST_SCHEMA.fields[0],
      ],
      includes: [],
      belongsTo: [
        {
          name: 'anime',
          foreignKey: 'anime_id',
          resource: {
            ...anime,
            fields: [
              ...anime.fields,
              { ...anime.fields[1], name: 'slug', column: 'slug', unique: true },
            ],
          },
        },
        { name: 'image', foreignKey: 'image_id', resource: TEST_SCHEMA },
      ],
    };
    const mysqlLike = { ...dialect(), toOneTestsPrefix: MARIADB_DEPENDENT_SUBQUERIES };
    const on = (type: string, field: string, values: (string | number)[], more = {}) =>
      filter(field, values, { scope: type, ...more });
    const prefixed = (...filters: FilterCondition[]) =>
      selectPage(mysqlLike, pivot, query({ filters })).sql.startsWith(MARIADB_DEPENDENT_SUBQUERIES);
    // Broad: nothing, or filters that pass many rows of a side.
    expect(prefixed()).toBe(true);
    expect(prefixed(on('image', 'facet', [2]))).toBe(true);
    expect(prefixed(on('anime', 'name', ['Alpha']))).toBe(true);
    expect(prefixed(on('anime', 'slug', ['alpha'], { operator: 'ne' }))).toBe(true);
    expect(prefixed(on('anime', 'slug', ['alpha', 'beta'], { negated: true }))).toBe(true);
    expect(prefixed(on('anime', 'slug', ['a%'], { operator: 'like' }))).toBe(true);
    expect(prefixed(on('anime', 'anime_id', [5], { operator: 'lt' }))).toBe(true);
    // An equality on a unique key (its slug, its id; one value or a list) pins the side.
    expect(prefixed(on('anime', 'slug', ['alpha']))).toBe(false);
    expect(prefixed(on('anime', 'slug', ['alpha', 'beta']))).toBe(false);
    expect(prefixed(on('anime', 'slug', ['alpha'], { operator: 'ne', negated: true }))).toBe(false);
    expect(prefixed(on('anime', 'anime_id', [5]))).toBe(false);
    expect(prefixed(on('image', 'image_id', [5]), on('anime', 'year', [2020]))).toBe(false);
    // ...only while the folded group requires it: `(slug AND year)`, not `(slug OR year)`.
    const slug = on('anime', 'slug', ['alpha'], { logic: 'or' });
    expect(prefixed(slug, on('anime', 'year', [2020]))).toBe(false);
    expect(prefixed(on('anime', 'year', [2020]), { ...slug, logic: 'and' })).toBe(false);
    expect(prefixed(slug, on('anime', 'year', [2020], { logic: 'or' }))).toBe(true);
    expect(prefixed(on('anime', 'year', [2020]), slug)).toBe(true);
    expect(prefixed(on('anime', 'year', [2020]), slug, on('anime', 'name', ['Alpha']))).toBe(true);
  });

  it('should select one row by primary key whatever its soft-delete state', async () => {
    const rows = await reader().all(selectOne(dialect(), TEST_SCHEMA, query(), 4));
    expect(rows).toEqual([{ image_id: 4, path: 'd/4.jpg', facet: 1 }]);
  });

  it('should load an include with one query joined through the pivot, grouped by owner', async () => {
    const [anime] = await loadIncludes(reader(), [TEST_SCHEMA.includes[0]], query(), [1, 2, 3]);
    expect([...anime.byOwner.entries()]).toEqual([
      [
        1,
        [
          { anime_id: 1, name: 'Zeta', year: 2020, season: 0, __owner_id: 1 },
          { anime_id: 2, name: 'Alpha', year: null, season: null, __owner_id: 1 },
        ],
      ],
      [2, [{ anime_id: 1, name: 'Zeta', year: 2020, season: 0, __owner_id: 2 }]],
    ]);
  });

  it('should bind a list as one placeholder where the driver spells lists out (mysql2)', () => {
    const listing = { ...dialect(), bindsLists: true };
    const parsed = query({
      fields: { anime: ['name'] },
      filters: [filter('year', [2020, 2021], { operator: 'ne', logic: 'and' })],
    });
    const { sql, parameters } = selectIncluded(listing, TEST_SCHEMA.includes[0], parsed, [1, 2, 3]);
    expect(sql).toContain(
      ' WHERE "pivot"."image_id" IN (?) AND "related"."deleted_at" IS NULL AND ("related"."year" NOT IN (?))',
    );
    expect(parameters).toEqual([
      [1, 2, 3],
      [2020, 2021],
    ]);
    // Elsewhere (better-sqlite3): one placeholder per item.
    const expanded = selectIncluded(dialect(), TEST_SCHEMA.includes[0], parsed, [1, 2, 3]);
    expect(expanded.sql).toContain(
      ' IN (?, ?, ?) AND "related"."deleted_at" IS NULL AND ("related"."year" NOT IN (?, ?))',
    );
    expect(expanded.parameters).toEqual([1, 2, 3, 2020, 2021]);
  });

  it('should bind a kept statement to another key or owner list exactly as one built for it', () => {
    const listing = { ...dialect(), bindsLists: true };
    const parsed = query({
      include: ['anime', 'artists', 'playlists'],
      fields: { anime: ['name'] },
      filters: [filter('year', [2020, 2021], { operator: 'ne', logic: 'and' })],
    });
    for (const include of TEST_SCHEMA.includes) {
      const kept = selectIncluded(listing, include, parsed, [1, 2, 3]);
      for (const ids of [[4], [5, 6, 7, 8], [Infinity, 2]]) {
        expect(withFirstParameter(kept, ids)).toEqual(
          selectIncluded(listing, include, parsed, ids),
        );
      }
    }
    const one = selectOne(dialect(), TEST_SCHEMA, parsed, 4);
    for (const key of [2, 'abc', NaN]) {
      expect(withFirstParameter(one, key)).toEqual(selectOne(dialect(), TEST_SCHEMA, parsed, key));
    }
    // The kept statement is left as it was.
    expect(one).toEqual(selectOne(dialect(), TEST_SCHEMA, parsed, 4));
  });

  it('should apply the related sort, fields, filters and trashed rule to an include', async () => {
    const parsed = query({
      fields: { anime: ['name'] },
      sort: { anime: [{ field: 'name', direction: 'ASC' }] },
      trashed: 'with',
      filters: [filter('year', [2020], { operator: 'ne', logic: 'and' })],
    });
    const { sql, parameters } = selectIncluded(dialect(), TEST_SCHEMA.includes[0], parsed, [1]);
    expect(sql).toBe(
      'SELECT "related"."anime_id" AS "anime_id", "related"."name" AS "name", "pivot"."image_id" AS "__owner_id"' +
        ' FROM "anime_image" "pivot" INNER JOIN "anime" "related" ON "related"."anime_id" = "pivot"."anime_id"' +
        ' WHERE "pivot"."image_id" IN (?) AND ("related"."year" <> ?)' +
        ' ORDER BY "related"."name" ASC, "related"."anime_id" ASC',
    );
    expect(parameters).toEqual([1, 2020]);
    const [withTrashed] = await loadIncludes(
      reader(),
      [TEST_SCHEMA.includes[0]],
      query({ trashed: 'with', sort: { anime: [{ field: 'name', direction: 'DESC' }] } }),
      [1, 3],
    );
    expect([...withTrashed.byOwner.entries()]).toEqual([
      [
        1,
        [
          { anime_id: 1, name: 'Zeta', year: 2020, season: 0, __owner_id: 1 },
          { anime_id: 2, name: 'Alpha', year: null, season: null, __owner_id: 1 },
        ],
      ],
      [3, [{ anime_id: 3, name: 'Gone', year: 2020, season: 1, __owner_id: 3 }]],
    ]);
  });

  it('should carry pivot columns and never load a playlist that is not Public', async () => {
    const [artists, playlists] = await loadIncludes(
      reader(),
      [TEST_SCHEMA.includes[1], TEST_SCHEMA.includes[2]],
      query({ trashed: 'with' }),
      [1, 2, 3],
    );
    expect([...artists.byOwner.entries()]).toEqual([
      [1, [{ artist_id: 1, name: 'Artist', __owner_id: 1, __pivot_depth: 3 }]],
      [2, [{ artist_id: 1, name: 'Artist', __owner_id: 2, __pivot_depth: null }]],
    ]);
    expect([...playlists.byOwner.entries()]).toEqual([
      [1, [{ playlist_id: 1, name: 'Public', __owner_id: 1 }]],
    ]);
  });

  it('should run no query for includes of an empty page', async () => {
    const groups = await loadIncludes(reader(), TEST_SCHEMA.includes, query(), []);
    expect(groups.map((group) => group.byOwner.size)).toEqual([0, 0, 0]);
  });
});
