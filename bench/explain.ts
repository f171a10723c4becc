/**
 * `npm run bench:explain`: the plans MariaDB/MySQL picks for the service's own list statements on
 * the bench data — the exact SQL the service sends (built by `selectPage` from the parsed query),
 * offset and keyset — printed as a Markdown table; `npm run bench` puts it in docs/PERFORMANCE.md.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { parseConfig } from '../src/config/app-config';
import { openDataSource } from '../src/database/data-source';
import { IMAGE_QUERY_SCHEMA } from '../src/image/image.query-schema';
import { ANIME_IMAGE, ARTIST_IMAGE, STUDIO_IMAGE } from '../src/pivot/pivots';
import type { CursorValue } from '../src/query/cursor';
import { parseQuery } from '../src/query/parse-query';
import { orderTermsFor } from '../src/query/query-plan';
import type { RootResourceSchema, SortTerm } from '../src/query/query.types';
import { KeysetPage, selectPage } from '../src/query/typeorm/apply-query';
import { readTableIndexes, TableIndexes } from '../src/query/typeorm/index-check';
import { keysetIndexFor, withForcedIndex } from '../src/query/typeorm/index-hint';
import { RawReader } from '../src/query/typeorm/raw-reader';
import { DATABASE_URL } from './variants';

interface Case {
  /** The list's resource: images unless said. */
  readonly schema?: RootResourceSchema;
  readonly query: string;
  /** Keyset: the page after the row at this depth of the order (values read from the data). */
  readonly keysetDepth?: number;
  readonly backwards?: boolean;
}

const CASES: Case[] = [
  { query: '' },
  { query: 'page[number]=6000' },
  { query: 'page[cursor]=x', keysetDepth: 90_000 },
  { query: 'page[cursor]=x', keysetDepth: 90_000, backwards: true },
  { query: 'filter[facet]=Cover&sort=-created_at' },
  { query: 'filter[facet]=Cover&sort=-created_at&page[cursor]=x', keysetDepth: 20_000 },
  { query: 'sort=-updated_at&page[cursor]=x', keysetDepth: 50_000 },
  { query: 'sort=path&page[cursor]=x', keysetDepth: 50_000 },
  { query: 'sort=-facet&page[cursor]=x', keysetDepth: 50_000 },
  { query: 'sort=deleted_at&filter[trashed]=with&page[cursor]=x', keysetDepth: 50_000 },
  { query: 'filter[trashed]=only&sort=-deleted_at' },
  { query: 'filter[has]=anime' },
  // The pivot lists (issue 18): the default order, each sort column's index, a keyset page by it.
  { schema: ANIME_IMAGE.schema, query: 'include=anime,image' },
  { schema: ANIME_IMAGE.schema, query: 'sort=-created_at' },
  { schema: ANIME_IMAGE.schema, query: 'sort=-created_at&page[cursor]=x', keysetDepth: 50_000 },
  { schema: ANIME_IMAGE.schema, query: 'sort=updated_at&page[cursor]=x', keysetDepth: 50_000 },
  { schema: ANIME_IMAGE.schema, query: 'sort=image_id&page[cursor]=x', keysetDepth: 50_000 },
  { schema: ARTIST_IMAGE.schema, query: 'sort=-depth' },
  { schema: ARTIST_IMAGE.schema, query: 'sort=-depth&page[cursor]=x', keysetDepth: 50_000 },
  { schema: STUDIO_IMAGE.schema, query: 'sort=created_at' },
  // Filtered on a side: broad filters read the links in order, a unique key starts from its rows.
  { schema: ANIME_IMAGE.schema, query: 'filter[image][facet]=Grill' },
  { schema: ARTIST_IMAGE.schema, query: 'filter[image][facet]=Grill&sort=-depth' },
  { schema: ANIME_IMAGE.schema, query: 'filter[anime][year]=2020' },
  { schema: ANIME_IMAGE.schema, query: 'filter[anime][slug]=tsuki_first_kingdom' },
  { schema: ANIME_IMAGE.schema, query: 'filter[image][image_id]=99949' },
];

interface AnalyzeRow {
  table: string;
  type: string;
  key: string | null;
  key_len: string | number | null;
  rows: number | string;
  /** MariaDB's ANALYZE: the rows actually read. */
  r_rows?: number | string | null;
  Extra: string | null;
}

async function explainCase(
  dataSource: DataSource,
  indexes: TableIndexes,
  item: Case,
): Promise<string> {
  const reader = RawReader.of(dataSource);
  const schema = item.schema ?? IMAGE_QUERY_SCHEMA;
  const query = parseQuery(item.query, schema, 'index');
  let keyset: KeysetPage | undefined;
  if (item.keysetDepth !== undefined) {
    // The row at that depth, read with the same statement from the start (its sort values).
    const sort = query.sort[schema.type] as SortTerm[] | undefined;
    const terms = orderTermsFor(schema, sort);
    // page[size]=1: the statement reads 2 rows from that offset; the first is the row.
    const [row] = await reader.all(
      selectPage(reader.dialect, schema, {
        ...query,
        page: { size: 1, number: item.keysetDepth },
      }),
    );
    keyset = {
      direction: item.backwards === true ? 'before' : 'after',
      values: terms.map((term) => row[term.column] as CursorValue),
    };
  }
  const { sql: built, parameters } = selectPage(reader.dialect, schema, query, keyset);
  // As SqlRowSource.page: a keyset page names the index of its sort.
  const index = keyset === undefined ? undefined : keysetIndexFor(schema, query, indexes);
  const sql = index === undefined ? built : withForcedIndex(dataSource, built, schema.table, index);
  const started = performance.now();
  await dataSource.query(sql, [...parameters]);
  const milliseconds = performance.now() - started;
  // MariaDB's ANALYZE runs the statement and adds the rows it really read (r_rows). A statement
  // with `filter[has]` or to-one tests starts with its optimizer setting, which goes before
  // ANALYZE or EXPLAIN.
  const prefix = [reader.dialect.hasTestsPrefix, reader.dialect.toOneTestsPrefix].find(
    (candidate) => candidate !== '' && sql.startsWith(candidate),
  );
  const [setting, select] = prefix === undefined ? ['', sql] : [prefix, sql.slice(prefix.length)];
  const plan = await dataSource
    .query<AnalyzeRow[]>(`${setting}ANALYZE ${select}`, [...parameters])
    .catch(() => dataSource.query<AnalyzeRow[]>(`${setting}EXPLAIN ${select}`, [...parameters]));
  // The list's own table (a pinned side is read first, by its key: a `const` row before it).
  const root = plan.find((row) => row.table === 'root') ?? plan[0];
  const path = schema === IMAGE_QUERY_SCHEMA ? '' : `/api/${schema.type}?`;
  const label =
    path +
    (item.query.replace('page[cursor]=x', 'page[cursor]=…') || '(page 1)') +
    (item.keysetDepth === undefined
      ? ''
      : ` (${item.backwards === true ? 'before' : 'after'} row ${item.keysetDepth})`);
  const where = sql.slice(
    sql.indexOf(' FROM ') + ` FROM \`${schema.table}\` \`root\``.length,
    sql.indexOf(' LIMIT '),
  );
  const rowsRead = root.r_rows === undefined || root.r_rows === null ? '?' : Number(root.r_rows);
  return `| \`${label}\` | ${root.type} | \`${root.key ?? '—'}\` (${root.key_len ?? '—'} bytes) | ${root.rows} | ${rowsRead} | ${root.Extra ?? ''} | ${milliseconds.toFixed(1)} | \`${where.replace(/`/g, '').replace(/\|/g, '\\|').trim()}\` |`;
}

/** The plans of the list statements, as a Markdown table. */
export async function explainListQueries(url: string = DATABASE_URL): Promise<string> {
  const database = parseConfig({ DATABASE_URL: url }).database;
  const dataSource = await openDataSource(database);
  try {
    const lines = [
      '| list request | access | index (key length used) | rows (planner estimate) | rows read (ANALYZE) | Extra | ms (one run) | [FORCE INDEX] WHERE … ORDER BY |',
      '| --- | --- | --- | ---: | ---: | --- | ---: | --- |',
    ];
    const tables = [...new Set(CASES.map((item) => (item.schema ?? IMAGE_QUERY_SCHEMA).table))];
    const indexes = await readTableIndexes(dataSource, tables);
    for (const item of CASES) lines.push(await explainCase(dataSource, indexes, item));
    return lines.join('\n');
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  explainListQueries().then(
    (table) => console.log(table),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
