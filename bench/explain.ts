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
import type { CursorValue } from '../src/query/cursor';
import { parseQuery } from '../src/query/parse-query';
import { orderTermsFor } from '../src/query/query-plan';
import type { SortTerm } from '../src/query/query.types';
import { KeysetPage, selectPage } from '../src/query/typeorm/apply-query';
import { readTableIndexes, TableIndexes } from '../src/query/typeorm/index-check';
import { keysetIndexFor, withForcedIndex } from '../src/query/typeorm/index-hint';
import { RawReader } from '../src/query/typeorm/raw-reader';
import { DATABASE_URL } from './variants';

interface Case {
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
  const query = parseQuery(item.query, IMAGE_QUERY_SCHEMA, 'index');
  let keyset: KeysetPage | undefined;
  if (item.keysetDepth !== undefined) {
    // The row at that depth, read with the same statement from the start (its sort values).
    const sort = query.sort[IMAGE_QUERY_SCHEMA.type] as SortTerm[] | undefined;
    const terms = orderTermsFor(IMAGE_QUERY_SCHEMA, sort);
    // page[size]=1: the statement reads 2 rows from that offset; the first is the row.
    const [row] = await reader.all(
      selectPage(reader.dialect, IMAGE_QUERY_SCHEMA, {
        ...query,
        page: { size: 1, number: item.keysetDepth },
      }),
    );
    keyset = {
      direction: item.backwards === true ? 'before' : 'after',
      values: terms.map((term) => row[term.column] as CursorValue),
    };
  }
  const { sql: built, parameters } = selectPage(reader.dialect, IMAGE_QUERY_SCHEMA, query, keyset);
  // As ImageRepository.findPage: a keyset page names the index of its sort.
  const index =
    keyset === undefined ? undefined : keysetIndexFor(IMAGE_QUERY_SCHEMA, query, indexes);
  const sql =
    index === undefined
      ? built
      : withForcedIndex(dataSource, built, IMAGE_QUERY_SCHEMA.table, index);
  const started = performance.now();
  await dataSource.query(sql, [...parameters]);
  const milliseconds = performance.now() - started;
  // MariaDB's ANALYZE runs the statement and adds the rows it really read (r_rows). A statement
  // with `filter[has]` starts with its optimizer setting, which goes before ANALYZE or EXPLAIN.
  const prefix = reader.dialect.hasTestsPrefix;
  const [setting, select] =
    prefix !== '' && sql.startsWith(prefix) ? [prefix, sql.slice(prefix.length)] : ['', sql];
  const plan = await dataSource
    .query<AnalyzeRow[]>(`${setting}ANALYZE ${select}`, [...parameters])
    .catch(() => dataSource.query<AnalyzeRow[]>(`${setting}EXPLAIN ${select}`, [...parameters]));
  const root = plan[0];
  const label =
    (item.query.replace('page[cursor]=x', 'page[cursor]=…') || '(page 1)') +
    (item.keysetDepth === undefined
      ? ''
      : ` (${item.backwards === true ? 'before' : 'after'} row ${item.keysetDepth})`);
  const where = sql.slice(
    sql.indexOf(' FROM ') + ' FROM `images` `root`'.length,
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
    const indexes = await readTableIndexes(dataSource, [IMAGE_QUERY_SCHEMA.table]);
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
