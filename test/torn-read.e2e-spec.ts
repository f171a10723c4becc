import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import type { DataSource, Logger } from 'typeorm';
import { IMAGE_PIVOT_TABLES } from '../src/image/image-write.transaction';
import { ImageService } from '../src/image/image.service';
import { IMAGE_QUERY_SCHEMA } from '../src/image/image.query-schema';
import { parseQuery } from '../src/query';
import { attachEveryRelation, insertImageRow } from './helpers/image-rows';
import { recordStatements } from './helpers/statement-recorder';
import { describeEachDatabase, type TestApp } from './helpers/test-app';

/**
 * A read of several statements (rows, then their included relations) answers one state of the
 * data even when a write commits between its statements (docs/read-path.md#one-state-per-answer).
 * Another client's write is committed, synchronously, right before the read's first include
 * statement is sent: the read must then answer the state after the write, never the row from
 * before it with the links from after (a probe saw images without their links, and links with
 * `"image": null`, while a force delete ran).
 */
const VERSION_STATEMENT =
  'SELECT SUM(version) AS total, MAX(changed_at) AS latest FROM change_versions';
/** One host for every request, so that the links of two answers compare. */
const HOST = 'images.test';

/** The SQL of a force delete of `imageId` as another client would commit it. */
function forceDeleteStatements(imageId: number): string[] {
  return [
    ...IMAGE_PIVOT_TABLES.map((pivot) => `DELETE FROM ${pivot} WHERE image_id = ${imageId}`),
    `DELETE FROM images WHERE image_id = ${imageId}`,
    `UPDATE change_versions SET version = version + 1, changed_at = '2030-01-01 00:00:00.000000'
       WHERE table_name IN ('images', ${IMAGE_PIVOT_TABLES.map((pivot) => `'${pivot}'`).join(', ')})`,
  ];
}

/** Commits `statements` in one transaction on a connection of its own, before returning. */
function commitNow(testApp: TestApp, statements: string[]): void {
  const config = testApp.database.config;
  if (config.type === 'mysql') {
    const args = ['-h', config.host, '-P', String(config.port), '-u', config.username];
    if (config.password) args.push(`-p${config.password}`);
    const script = ['START TRANSACTION', ...statements, 'COMMIT'].join(';\n');
    execFileSync('mysql', [...args, config.database, '-e', script]);
  } else {
    const database = new Database(config.path);
    try {
      database.transaction(() => statements.forEach((sql) => database.exec(sql)))();
    } finally {
      database.close();
    }
  }
}

/** The SQL of another client's change of `imageId`'s path, its version bumped as the service does. */
function pathChangeStatements(imageId: number): string[] {
  return [
    `UPDATE images SET path = 'p/changed-${imageId}.png' WHERE image_id = ${imageId}`,
    `UPDATE change_versions SET version = version + 1, changed_at = '2030-01-02 00:00:00.000000'
       WHERE table_name = 'images'`,
  ];
}

/**
 * Runs `write` once, just before the data source sends the first statement naming `table` after
 * the read's first `after` statements (by default its version and rows: its first include), and
 * records every statement sent.
 */
function writeBeforeInclude(
  dataSource: DataSource,
  table: string,
  write: () => void,
  after = 2,
): { statements: string[] } {
  const statements = recordStatements(dataSource);
  const recording = dataSource.logger;
  let armed = true;
  const logger: Logger = {
    ...recording,
    logQuery: (query, parameters) => {
      recording.logQuery(query, parameters);
      if (armed && statements.length > after && query.includes(table)) {
        armed = false;
        write();
      }
    },
  };
  (dataSource as { logger: Logger }).logger = logger;
  return { statements };
}

describeEachDatabase('a read of several statements while a write commits', (context) => {
  let restoreLogger: () => void;
  beforeEach(() => {
    const { dataSource } = context();
    const logger = dataSource.logger;
    restoreLogger = () => {
      (dataSource as { logger: Logger }).logger = logger;
    };
  });
  afterEach(() => restoreLogger());

  const related = (() => {
    let next = 100;
    return () => (next += 1);
  })();

  async function linkedImage(): Promise<number> {
    const { image_id } = await insertImageRow(context().dataSource);
    await attachEveryRelation(context().dataSource, image_id, related());
    return image_id;
  }

  it.each([
    ['show', (id: number) => `/api/image/${id}?include=anime,artists`, 'anime_image', 404],
    [
      'list',
      (id: number) => `/api/image?filter[image_id]=${id}&include=anime,artists`,
      'anime_image',
      200,
    ],
    [
      'pivot list',
      (id: number) => `/api/animeimage?filter[image_id]=${id}&include=anime,image`,
      'images',
      200,
    ],
  ] as const)(
    'should answer a %s read as the data was after the write, not half before it',
    async (_kind, path, includeTable, statusAfter) => {
      const id = await linkedImage();
      const { statements } = writeBeforeInclude(context().dataSource, includeTable, () =>
        commitNow(context(), forceDeleteStatements(id)),
      );
      const response = await context().http().get(path(id)).set('Host', HOST);
      restoreLogger();
      const after = await context().http().get(path(id)).set('Host', HOST);
      expect([response.status, response.body]).toEqual([statusAfter, after.body]);
      expect(response.headers.etag).toBe(after.headers.etag);
      if (statusAfter === 200) {
        expect(Object.values(response.body as Record<string, unknown>)[0]).toEqual([]);
      }
      // The first attempt: the version, the rows, the includes the write raced, the version again.
      expect(statements.filter((sql) => sql === VERSION_STATEMENT).length).toBeGreaterThanOrEqual(
        3,
      );
    },
  );

  // Found by a probe: one entity tag was sent with two bodies, the new one under the old tag.
  it.each([
    ['show', (id: number) => `/api/image/${id}`, 'images'],
    ['list', (id: number) => `/api/image?filter[image_id]=${id}`, 'images'],
    ['pivot list', (id: number) => `/api/animeimage?filter[image_id]=${id}`, 'anime_image'],
  ] as const)(
    'should tag a %s read of one statement with the state its body shows when a write commits before its rows',
    async (_kind, path, rowTable) => {
      const id = await linkedImage();
      const { statements } = writeBeforeInclude(
        context().dataSource,
        rowTable,
        () => commitNow(context(), pathChangeStatements(id)),
        1,
      );
      const response = await context().http().get(path(id)).set('Host', HOST);
      restoreLogger();
      const after = await context().http().get(path(id)).set('Host', HOST);
      expect([response.status, response.body, response.headers.etag]).toEqual([
        200,
        after.body,
        after.headers.etag,
      ]);
      // The version, the rows the write raced, the version again; then the read made again.
      expect(statements.slice(0, 3).map((sql) => sql === VERSION_STATEMENT)).toEqual([
        true,
        false,
        true,
      ]);
    },
  );

  it('should answer a message read (no entity tag) as the data was after the write too', async () => {
    const id = await linkedImage();
    const images = context().app.get(ImageService);
    writeBeforeInclude(context().dataSource, 'anime_image', () =>
      commitNow(context(), forceDeleteStatements(id)),
    );
    const read = await images.list(
      parseQuery(`filter[image_id]=${id}&include=anime,artists`, IMAGE_QUERY_SCHEMA, 'index'),
      { baseUrl: '', rawQuery: '', entityTag: false },
    );
    restoreLogger();
    expect([read.tag, read.body?.images]).toEqual([null, []]);
  });

  it('should check the version once more after the rows of a tagged read, and not for an untagged read of one statement', async () => {
    const id = await linkedImage();
    const statements = recordStatements(context().dataSource);
    const versions = () => statements.filter((sql) => sql === VERSION_STATEMENT).length;
    await context().http().get(`/api/image/${id}?include=anime`).expect(200);
    expect([statements.length, versions(), statements.at(-1)]).toEqual([4, 2, VERSION_STATEMENT]);
    statements.length = 0;
    await context().http().get(`/api/image/${id}`).expect(200);
    expect([statements.length, versions(), statements.at(-1)]).toEqual([3, 2, VERSION_STATEMENT]);
    statements.length = 0;
    await context().http().get(`/api/image?filter[image_id]=${id}`).expect(200);
    expect([statements.length, versions(), statements.at(-1)]).toEqual([3, 2, VERSION_STATEMENT]);
    statements.length = 0;
    const images = context().app.get(ImageService);
    await images.list(parseQuery(`filter[image_id]=${id}`, IMAGE_QUERY_SCHEMA, 'index'), {
      baseUrl: '',
      rawQuery: '',
      entityTag: false,
    });
    expect([statements.length, versions()]).toEqual([1, 0]);
  });

  it('should answer without a tag, uncached, when writes keep racing every attempt', async () => {
    const id = await linkedImage();
    const { dataSource } = context();
    const recording = recordStatements(dataSource);
    const logger = dataSource.logger;
    let bumps = 0;
    (dataSource as { logger: Logger }).logger = {
      ...logger,
      logQuery: (query, parameters) => {
        logger.logQuery(query, parameters);
        // A write that changes nothing this read shows, committed before each include.
        if (query.includes('anime_image') && recording.length > 2) {
          bumps += 1;
          commitNow(context(), [
            `UPDATE change_versions SET version = version + 1 WHERE table_name = 'playlists'`,
          ]);
        }
      },
    };
    const response = await context().http().get(`/api/image/${id}?include=anime`);
    restoreLogger();
    expect(bumps).toBe(3);
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body.image.anime).toHaveLength(1);
    // Nothing was kept: the next read reads its rows again, and is tagged.
    const statements = recordStatements(dataSource);
    const again = await context().http().get(`/api/image/${id}?include=anime`);
    expect([again.status, again.body]).toEqual([200, response.body]);
    expect(again.headers.etag).toEqual(expect.any(String));
    expect(statements.length).toBe(4);
  });
});
