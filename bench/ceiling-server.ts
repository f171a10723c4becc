/**
 * The ceiling of the benchmark: the fastest this API can be on this stack — a bare `node:http`
 * server on a `mysql2` pool answering the benchmark's requests with the same JSON (byte for byte:
 * `npm run bench:parity` diffs them), the same headers that matter (ETag, Cache-Control,
 * Request-Id, Location) and the same SQL as the service, with no framework, no validation beyond
 * what the requests need, and no logging. It understands only the parameters the benchmark sends:
 * `page[size]`, `page[number]`, `page[cursor]`, `include`, `filter[facet]`, `sort` (image keys),
 * `POST` / `DELETE` with an HS256 token, and `GET /api/animeimage` with `include` and offset pages. Pure helpers whose output must match byte for byte (the
 * cursor codec and its binding, the entity tag hash, the clock) come from `src/`. Not part of the
 * service.
 *
 *   CEILING_PORT=3101 BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/image_api_bench \
 *   JWT_SECRET=... CURSOR_SECRET=... node dist-bench/bench/ceiling-server.js   (npm run build:bench)
 */
import { createSecretKey, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { verify } from 'jsonwebtoken';
import { createPool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { entityTag, ifNoneMatchMatches } from '../src/common/entity-tag';
import { SharedRead } from '../src/database/shared-read';
import { databaseNow } from '../src/database/timestamps';
import { IMAGE_QUERY_SCHEMA } from '../src/image/image.query-schema';
import { cursorBinding, CursorCodec, CursorValue } from '../src/query/cursor';
import type { ParsedQuery, SortTerm } from '../src/query/query.types';
import { MysqlPool, mysqlQuery } from '../src/query/typeorm/raw-reader';

const FACETS = ['Small Cover', 'Cover', 'Grill'];
const FACET_INPUT: Record<string, number> = {
  'small cover': 0,
  cover: 1,
  'large cover': 1,
  grill: 2,
};
const SEASONS = ['Winter', 'Spring', 'Summer', 'Fall'];
const FORMATS = ['Unknown', 'TV', 'TV Short', 'OVA', 'Movie', 'Special', 'ONA'];
const IMAGE_BASE_URL = process.env.IMAGE_BASE_URL ?? 'https://animethemes.moe/storage/images';
/** The service's REPRESENTATION_VERSION (image.service.ts); the parity check compares the tags. */
const REPRESENTATION_VERSION = '1';
const CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const TRASHED_WITHOUT = {
  image: 'without',
  anime: 'without',
  artist: 'without',
  studio: 'without',
  playlist: 'without',
} as const;

// Made once, as the service's `verificationKey` does (a string key costs `verify` a PEM parse per call).
const JWT_KEY = createSecretKey(Buffer.from(process.env.JWT_SECRET ?? ''));
const codec = new CursorCodec(process.env.CURSOR_SECRET ?? '');

const url = new URL(
  process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/image_api_bench',
);
const pool = createPool({
  host: url.hostname,
  port: Number(url.port || 3306),
  user: decodeURIComponent(url.username) || 'root',
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
  connectionLimit: 10,
  dateStrings: true,
  supportBigNumbers: true,
  timezone: 'Z',
  charset: 'utf8mb4_unicode_ci',
  // mysql2 captures a stack per query by default; the service turns that off too.
  trace: false,
});
pool.pool.on('connection', (connection) => {
  connection.query("SET time_zone = '+00:00'");
});

type Row = RowDataPacket;

/**
 * A SELECT as the service runs one (`mysqlQuery` of src/query/typeorm/raw-reader.ts): on a connection
 * taken from the pool and handed back once its rows are in. Not `pool.query`: on it the young
 * generation kept and promoted a quarter of what was allocated, and the collector's extra work made
 * this ceiling lower than the fastest this stack can be (docs/PERFORMANCE.md, "Garbage collection").
 */
function select(sql: string, values: unknown[] = []): Promise<Row[]> {
  return mysqlQuery<Row>(pool.pool as unknown as MysqlPool, { sql, parameters: values });
}

const timestamp = (value: string | null): string | null =>
  value === null ? null : `${value.slice(0, 10)}T${value.slice(11)}Z`;

function image(row: Row): Record<string, unknown> {
  return {
    image_id: Number(row.image_id),
    path: row.path as string,
    facet: FACETS[row.facet as number] ?? null,
    link: `${IMAGE_BASE_URL}/${row.path as string}`,
    created_at: timestamp(row.created_at as string),
    updated_at: timestamp(row.updated_at as string),
  };
}

/** The included relations of some images, one query per relation, side by side. */
async function loadIncludes(images: Record<string, unknown>[], include: string[]): Promise<void> {
  const ordered = ['anime', 'artists', 'studios'].filter((name) => include.includes(name));
  for (const item of images) for (const name of ordered) item[name] = [];
  if (images.length === 0 || ordered.length === 0) return;
  const ids = images.map((item) => item.image_id as number);
  const byImage = new Map(images.map((item) => [item.image_id as number, item]));
  const add = (name: string, rows: Row[], render: (row: Row) => Record<string, unknown>) => {
    for (const row of rows) (byImage.get(Number(row.owner))![name] as unknown[]).push(render(row));
  };
  await Promise.all(
    ordered.map(async (name) => {
      if (name === 'anime') {
        const rows = await select(
          'SELECT a.anime_id, a.name, a.slug, a.year, a.season, a.media_format, p.image_id AS owner FROM anime_image p INNER JOIN anime a ON a.anime_id = p.anime_id WHERE p.image_id IN (?) AND a.deleted_at IS NULL ORDER BY a.anime_id ASC',
          [ids],
        );
        add(name, rows, (row) => ({
          anime_id: Number(row.anime_id),
          name: row.name as string,
          slug: row.slug as string,
          year: row.year as number | null,
          season: row.season === null ? null : SEASONS[row.season as number],
          media_format: row.media_format === null ? null : FORMATS[row.media_format as number],
        }));
      } else if (name === 'artists') {
        const rows = await select(
          'SELECT a.artist_id, a.name, a.slug, p.image_id AS owner, p.depth FROM artist_image p INNER JOIN artists a ON a.artist_id = p.artist_id WHERE p.image_id IN (?) AND a.deleted_at IS NULL ORDER BY a.artist_id ASC',
          [ids],
        );
        add(name, rows, (row) => ({
          artist_id: Number(row.artist_id),
          name: row.name as string,
          slug: row.slug as string,
          artistimage: { depth: row.depth as number | null },
        }));
      } else {
        const rows = await select(
          'SELECT s.studio_id, s.name, s.slug, p.image_id AS owner FROM studio_image p INNER JOIN studios s ON s.studio_id = p.studio_id WHERE p.image_id IN (?) AND s.deleted_at IS NULL ORDER BY s.studio_id ASC',
          [ids],
        );
        add(name, rows, (row) => ({
          studio_id: Number(row.studio_id),
          name: row.name as string,
          slug: row.slug as string,
        }));
      }
    }),
  );
}

/**
 * The data version, read before any row (the service's readDataVersion) and again after them (a
 * write committed in between: read again, as the service does), one statement for the requests
 * that ask while it waits, as the service's reader shares it (src/database/shared-read.ts).
 */
const sharedVersion = new SharedRead(async () => {
  const rows = await select(
    'SELECT SUM(version) AS total, MAX(changed_at) AS latest FROM change_versions',
  );
  return `${(rows[0].total as string | null) ?? 0}@${(rows[0].latest as string | null) ?? ''}`;
});
function dataVersion(): Promise<string> {
  return sharedVersion.get();
}

/** The links of a page: the query as sent, the page parameter replaced in place or appended. */
function linkBuilder(base: string, rawQuery: string, pageKey: string): (value: string) => string {
  const before: string[] = [];
  const after: string[] = [];
  let seen = false;
  for (const segment of rawQuery.split('&')) {
    if (segment === '') continue;
    const equals = segment.indexOf('=');
    const rawKey = equals === -1 ? segment : segment.slice(0, equals);
    const key = rawKey.replace(/%5B/gi, '[').replace(/%5D/gi, ']');
    if (key === pageKey) {
      seen = true;
      continue;
    }
    (seen ? after : before).push(key + segment.slice(rawKey.length));
  }
  const head = before.length > 0 ? `${base}?${before.join('&')}&` : `${base}?`;
  const tail = after.length > 0 ? `&${after.join('&')}` : '';
  return (value) => `${head}${pageKey}=${value}${tail}`;
}

const SORTABLE = new Set(['image_id', 'facet', 'path', 'created_at', 'updated_at']);

interface Order {
  readonly terms: { column: string; descending: boolean }[];
  readonly sort: SortTerm[] | undefined;
}

/** The sort with the image_id tie-breaker in the direction of the last key (as the service). */
function orderOf(query: URLSearchParams): Order {
  const terms: { column: string; descending: boolean }[] = [];
  for (const term of (query.get('sort') ?? '').split(',').filter(Boolean)) {
    const column = term.replace(/^-/, '');
    if (SORTABLE.has(column)) terms.push({ column, descending: term.startsWith('-') });
  }
  const sort = terms.map((t): SortTerm => ({
    field: t.column,
    direction: t.descending ? 'DESC' : 'ASC',
  }));
  if (!terms.some((term) => term.column === 'image_id')) {
    terms.push({ column: 'image_id', descending: terms.at(-1)?.descending ?? false });
  }
  return { terms, sort: sort.length === 0 ? undefined : sort };
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    ...(body === undefined
      ? {}
      : {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(json)),
        }),
    'request-id': randomUUID(),
  });
  response.end(json);
}

async function list(
  request: IncomingMessage,
  response: ServerResponse,
  rawQuery: string,
  query: URLSearchParams,
): Promise<void> {
  const size = Number(query.get('page[size]') ?? 15);
  const number = Number(query.get('page[number]') ?? 1);
  const cursor = query.get('page[cursor]');
  const facetName = query.get('filter[facet]');
  const facet = facetName === null ? undefined : FACET_INPUT[facetName.toLowerCase()];
  const order = orderOf(query);
  const base = `http://${request.headers.host}/api/image`;

  // The cursor is checked before the tag (a bad one is a 422 whatever If-None-Match says).
  let binding = '';
  let position: { direction: 'after' | 'before'; values: readonly CursorValue[] } | undefined;
  if (cursor !== null) {
    binding = cursorBinding(IMAGE_QUERY_SCHEMA, {
      include: [],
      fields: {},
      filters:
        facet === undefined
          ? []
          : [
              {
                key: 'filter.facet',
                field: 'facet',
                operator: 'eq',
                logic: 'and',
                negated: false,
                values: [facet],
                appliesTo: ['image'],
              },
            ],
      trashed: 'without',
      trashedByType: TRASHED_WITHOUT,
      sort: order.sort === undefined ? {} : { image: order.sort },
      page: { size, number: 1 },
    } satisfies ParsedQuery);
    if (cursor !== '') {
      try {
        position = codec.decode(cursor, binding, order.terms.length);
      } catch {
        return send(response, 422, { message: 'Bad cursor.' });
      }
    }
  }

  const version = await dataVersion();
  const tag = entityTag([
    REPRESENTATION_VERSION,
    IMAGE_BASE_URL,
    version,
    `list\n${base}?${rawQuery}`,
  ]);
  const headers = { etag: tag, 'cache-control': CACHE_CONTROL };
  if (ifNoneMatchMatches(request.headers['if-none-match'], tag)) {
    return send(response, 304, undefined, headers);
  }

  const where = ['root.deleted_at IS NULL'];
  const params: unknown[] = [];
  if (facet !== undefined) {
    where.push('((root.facet = ?))');
    params.push(facet);
  }
  const backwards = position?.direction === 'before';
  if (position !== undefined) {
    // The row-value comparison written out as OR/AND ranges (no NULLable keys here), behind the
    // service's redundant bound on the first key when there are several.
    const branches: string[] = [];
    const branchParams: unknown[] = [];
    const equal: string[] = [];
    order.terms.forEach((term, index) => {
      const ascending = !term.descending !== backwards;
      branches.push([...equal, `root.${term.column} ${ascending ? '>' : '<'} ?`].join(' AND '));
      branchParams.push(...position.values.slice(0, index), position.values[index]);
      equal.push(`root.${term.column} = ?`);
    });
    if (branches.length === 1) {
      where.push(`(${branches[0]})`);
    } else {
      const ascending = !order.terms[0].descending !== backwards;
      const anyBranch = branches.map((branch) => `(${branch})`).join(' OR ');
      where.push(`(root.${order.terms[0].column} ${ascending ? '>=' : '<='} ? AND (${anyBranch}))`);
      params.push(position.values[0]);
    }
    params.push(...branchParams);
  }
  const orderBy = order.terms
    .map((term) => `root.${term.column} ${term.descending !== backwards ? 'DESC' : 'ASC'}`)
    .join(', ');
  const columns =
    cursor === null
      ? 'root.image_id, root.path, root.facet, root.created_at, root.updated_at'
      : `root.image_id, root.path, root.facet, root.created_at, root.updated_at${order.terms
          .filter(
            (t) => !['image_id', 'path', 'facet', 'created_at', 'updated_at'].includes(t.column),
          )
          .map((t) => `, root.${t.column}`)
          .join('')}`;
  const limit =
    cursor === null ? ` LIMIT ${size + 1} OFFSET ${(number - 1) * size}` : ` LIMIT ${size + 1}`;
  const rows = await select(
    `SELECT ${columns} FROM images root${
      // As the service on MySQL: a keyset page names the index of its first sort key.
      position === undefined
        ? ''
        : ` FORCE INDEX (images_deleted_at_${order.terms[0].column}_index)`
    } WHERE ${where.join(' AND ')} ORDER BY ${orderBy}${limit}`,
    params,
  );
  const hasMore = rows.length > size;
  const pageRows = hasMore ? rows.slice(0, size) : rows;
  if (backwards) pageRows.reverse();
  const images = pageRows.map(image);
  const include = (query.get('include') ?? '').split(',').filter(Boolean);
  await loadIncludes(images, include);
  if ((await dataVersion()) !== version) {
    return list(request, response, rawQuery, query);
  }

  if (cursor === null) {
    const link = linkBuilder(base, rawQuery, 'page[number]');
    const from = images.length === 0 ? null : (number - 1) * size + 1;
    return send(
      response,
      200,
      {
        images,
        links: {
          first: link('1'),
          last: null,
          prev: number > 1 ? link(String(number - 1)) : null,
          next: hasMore ? link(String(number + 1)) : null,
        },
        meta: {
          current_page: number,
          from,
          path: base,
          per_page: size,
          to: from === null ? null : from + images.length - 1,
        },
      },
      headers,
    );
  }
  const link = linkBuilder(base, rawQuery, 'page[cursor]');
  const cursorAt = (row: Row | undefined, direction: 'after' | 'before') =>
    row === undefined
      ? null
      : link(
          codec.encode(binding, {
            direction,
            values: order.terms.map((term) => row[term.column] as CursorValue),
          }),
        );
  const walking = position?.direction ?? 'after';
  const goesOn = (towards: 'after' | 'before') =>
    towards === walking ? hasMore : position !== undefined;
  send(
    response,
    200,
    {
      images,
      links: {
        first: link(''),
        last: null,
        prev: goesOn('before') ? cursorAt(pageRows[0], 'before') : null,
        next: goesOn('after') ? cursorAt(pageRows.at(-1), 'after') : null,
      },
      meta: { current_page: null, from: null, path: base, per_page: size, to: null },
    },
    headers,
  );
}

async function show(
  request: IncomingMessage,
  response: ServerResponse,
  id: number,
  rawQuery: string,
  query: URLSearchParams,
): Promise<void> {
  const version = await dataVersion();
  const tag = entityTag([
    REPRESENTATION_VERSION,
    IMAGE_BASE_URL,
    version,
    `show\nimage/${id}?${rawQuery}`,
  ]);
  const headers = { etag: tag, 'cache-control': CACHE_CONTROL };
  if (ifNoneMatchMatches(request.headers['if-none-match'], tag)) {
    return send(response, 304, undefined, headers);
  }
  const rows = await select(
    'SELECT root.image_id, root.path, root.facet, root.created_at, root.updated_at FROM images root WHERE root.image_id = ? LIMIT 1',
    [id],
  );
  if (rows.length === 0) return send(response, 404, { message: `Image ${id} not found.` });
  const item = image(rows[0]);
  const include = (query.get('include') ?? '').split(',').filter(Boolean);
  await loadIncludes([item], include);
  if ((await dataVersion()) !== version) {
    return show(request, response, id, rawQuery, query);
  }
  send(response, 200, { image: item }, headers);
}

/**
 * `GET /api/animeimage?include=anime,image` (offset pages): the links whose anime and image are
 * live, ordered by both ids, then each side with one IN query, as the service's shared reader.
 */
async function animeImageList(
  request: IncomingMessage,
  response: ServerResponse,
  rawQuery: string,
  query: URLSearchParams,
): Promise<void> {
  const size = Number(query.get('page[size]') ?? 15);
  const number = Number(query.get('page[number]') ?? 1);
  const include = (query.get('include') ?? '').split(',').filter(Boolean);
  const base = `http://${request.headers.host}/api/animeimage`;
  const version = await dataVersion();
  const tag = entityTag([
    REPRESENTATION_VERSION,
    IMAGE_BASE_URL,
    version,
    `list\n${base}?${rawQuery}`,
  ]);
  const headers = { etag: tag, 'cache-control': CACHE_CONTROL };
  if (ifNoneMatchMatches(request.headers['if-none-match'], tag)) {
    return send(response, 304, undefined, headers);
  }
  const rows = await select(
    // The service's MariaDB switch for visibility tests (MARIADB_DEPENDENT_SUBQUERIES).
    "/*M!100102 SET STATEMENT optimizer_switch='semijoin=off,materialization=off' FOR */ " +
      'SELECT root.anime_id, root.image_id, root.created_at, root.updated_at FROM anime_image root' +
      ' WHERE EXISTS (SELECT 1 FROM anime to_one_0 WHERE to_one_0.anime_id = root.anime_id AND to_one_0.deleted_at IS NULL)' +
      ' AND EXISTS (SELECT 1 FROM images to_one_1 WHERE to_one_1.image_id = root.image_id AND to_one_1.deleted_at IS NULL)' +
      ` ORDER BY root.anime_id ASC, root.image_id ASC LIMIT ${size + 1}${number > 1 ? ` OFFSET ${(number - 1) * size}` : ''}`,
  );
  const hasMore = rows.length > size;
  const page = hasMore ? rows.slice(0, size) : rows;
  const links: Record<string, unknown>[] = page.map((row) => ({
    anime_id: Number(row.anime_id),
    image_id: Number(row.image_id),
    created_at: timestamp(row.created_at as string),
    updated_at: timestamp(row.updated_at as string),
  }));
  if (page.length > 0) {
    const [anime, images] = await Promise.all([
      include.includes('anime')
        ? select(
            'SELECT related.anime_id, related.name, related.slug, related.year, related.season, related.media_format FROM anime related WHERE related.anime_id IN (?)',
            [[...new Set(page.map((row) => row.anime_id as number))]],
          )
        : [],
      include.includes('image')
        ? select(
            'SELECT related.image_id, related.path, related.facet, related.created_at, related.updated_at FROM images related WHERE related.image_id IN (?)',
            [[...new Set(page.map((row) => row.image_id as number))]],
          )
        : [],
    ]);
    const animeById = new Map(anime.map((row) => [Number(row.anime_id), row]));
    const imageById = new Map(images.map((row) => [Number(row.image_id), row]));
    links.forEach((link) => {
      if (include.includes('anime')) {
        const row = animeById.get(link.anime_id as number);
        link.anime =
          row === undefined
            ? null
            : {
                anime_id: Number(row.anime_id),
                name: row.name as string,
                slug: row.slug as string,
                year: row.year as number | null,
                season: row.season === null ? null : SEASONS[row.season as number],
                media_format:
                  row.media_format === null ? null : FORMATS[row.media_format as number],
              };
      }
      if (include.includes('image')) {
        const row = imageById.get(link.image_id as number);
        link.image = row === undefined ? null : image(row);
      }
    });
  }
  if ((await dataVersion()) !== version) {
    return animeImageList(request, response, rawQuery, query);
  }
  const link = linkBuilder(base, rawQuery, 'page[number]');
  const from = links.length === 0 ? null : (number - 1) * size + 1;
  send(
    response,
    200,
    {
      animeimages: links,
      links: {
        first: link('1'),
        last: null,
        prev: number > 1 ? link(String(number - 1)) : null,
        next: hasMore ? link(String(number + 1)) : null,
      },
      meta: {
        current_page: number,
        from,
        path: base,
        per_page: size,
        to: from === null ? null : from + links.length - 1,
      },
    },
    headers,
  );
}

/** The `sub` of a valid HS256 token carrying `permission`; otherwise the 401/403 is sent. */
function authorize(
  request: IncomingMessage,
  response: ServerResponse,
  permission: string,
): string | undefined {
  const header = request.headers.authorization ?? '';
  let claims: { sub?: unknown; permissions?: unknown };
  try {
    if (!header.startsWith('Bearer ')) throw new Error('no token');
    const verified: unknown = verify(header.slice(7), JWT_KEY, { algorithms: ['HS256'] });
    claims = verified as typeof claims;
    if (typeof claims.sub !== 'string') throw new Error('no sub');
  } catch {
    send(response, 401, { message: 'Unauthenticated.' }, { 'www-authenticate': 'Bearer' });
    return undefined;
  }
  if (!Array.isArray(claims.permissions) || !claims.permissions.includes(permission)) {
    send(response, 403, { message: 'This action is unauthorized.' });
    return undefined;
  }
  return claims.sub;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });

const SELECT_FOR_UPDATE =
  'SELECT image_id, path, facet, created_at, updated_at, deleted_at FROM images WHERE image_id = ? FOR UPDATE';

/**
 * One transaction as the service runs it: the write (a create also cancels a waiting file removal),
 * the reload, the outbox row, the versions.
 */
async function inTransaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      // As the service on MariaDB (mysql-transaction.ts): the bump in the COMMIT's round trip.
      await connection.query(
        'BEGIN NOT ATOMIC UPDATE change_versions SET version = version + 1, changed_at = ? WHERE table_name IN (?); COMMIT; END',
        [databaseNow(), 'images'],
      );
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      if ((error as { code?: string }).code !== 'ER_LOCK_DEADLOCK' || attempt >= 3) throw error;
    } finally {
      connection.release();
    }
  }
}

async function recordEvent(
  connection: PoolConnection,
  type: string,
  actor: string,
  row: Row,
  occurredAt: string,
): Promise<void> {
  const payload = {
    image: { ...image(row), deleted_at: timestamp(row.deleted_at as string | null) },
  };
  await connection.query(
    'INSERT INTO image_event_outbox (event_id, event_type, image_id, actor, occurred_at, payload, published_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
    [randomUUID(), type, row.image_id, actor, occurredAt, JSON.stringify(payload)],
  );
}

async function create(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const actor = authorize(request, response, 'create image');
  if (actor === undefined) return;
  const body = JSON.parse(await readBody(request)) as { path?: unknown; facet?: unknown };
  const facet =
    typeof body.facet === 'number' ? body.facet : FACET_INPUT[String(body.facet).toLowerCase()];
  if (typeof body.path !== 'string' || body.path === '' || facet === undefined) {
    return send(response, 422, { message: 'The given data was invalid.' });
  }
  const path = body.path;
  const row = await inTransaction(async (connection) => {
    const now = databaseNow();
    const [result] = await connection.query<ResultSetHeader>(
      'INSERT INTO images (path, facet, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, NULL)',
      [path, facet, now, now],
    );
    // As the service (ImageFileCleanup.claim): a removal still waiting for this file is cancelled.
    await connection.query('DELETE FROM storage_deletions WHERE path = ? AND BINARY path = ?', [
      path,
      path,
    ]);
    const [rows] = await connection.query<Row[]>(SELECT_FOR_UPDATE, [result.insertId]);
    await recordEvent(connection, 'image.created', actor, rows[0], rows[0].created_at as string);
    return rows[0];
  });
  send(
    response,
    201,
    { image: image(row) },
    {
      location: `http://${request.headers.host}/api/image/${row.image_id as number}`,
    },
  );
}

async function softDelete(
  request: IncomingMessage,
  response: ServerResponse,
  id: number,
): Promise<void> {
  const actor = authorize(request, response, 'delete image');
  if (actor === undefined) return;
  const row = await inTransaction(async (connection) => {
    const [current] = await connection.query<Row[]>(
      'SELECT image_id, path, facet, created_at, updated_at, deleted_at FROM images WHERE image_id = ? AND deleted_at IS NULL FOR UPDATE',
      [id],
    );
    if (current.length === 0) return undefined;
    const now = databaseNow();
    await connection.query('UPDATE images SET deleted_at = ?, updated_at = ? WHERE image_id = ?', [
      now,
      now,
      id,
    ]);
    const [rows] = await connection.query<Row[]>(SELECT_FOR_UPDATE, [id]);
    await recordEvent(connection, 'image.deleted', actor, rows[0], rows[0].deleted_at as string);
    return rows[0];
  });
  if (row === undefined) return send(response, 404, { message: `Image ${id} not found.` });
  send(response, 200, { image: image(row) });
}

const server = createServer((request, response) => {
  const url = request.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark === -1 ? url : url.slice(0, mark);
  const rawQuery = mark === -1 ? '' : url.slice(mark + 1);
  const match = /^\/api\/image(?:\/(\d+))?$/.exec(path);
  const handle = async () => {
    if (path === '/api/animeimage' && request.method === 'GET') {
      return animeImageList(request, response, rawQuery, new URLSearchParams(rawQuery));
    }
    if (match === null) return send(response, 404, { message: 'Not Found.' });
    const id = match[1] === undefined ? undefined : Number(match[1]);
    if (request.method === 'GET') {
      const query = new URLSearchParams(rawQuery);
      return id === undefined
        ? list(request, response, rawQuery, query)
        : show(request, response, id, rawQuery, query);
    }
    if (request.method === 'POST' && id === undefined) return create(request, response);
    if (request.method === 'DELETE' && id !== undefined) return softDelete(request, response, id);
    return send(response, 404, { message: 'Not Found.' });
  };
  handle().catch((error: unknown) => {
    process.stderr.write(`ceiling: ${String(error)}\n`);
    if (!response.headersSent) send(response, 500, { message: 'Server Error.' });
  });
});

server.listen(Number(process.env.CEILING_PORT ?? 3101), '127.0.0.1');

// Stop cleanly (a --cpu-prof profile is written on exit).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    void pool.end().finally(() => process.exit(0));
  });
}
