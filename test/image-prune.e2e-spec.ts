import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { formatDatabaseTimestamp, nowMicros, renderTimestamp } from '../src/database/timestamps';
import { ImageFileCleanup } from '../src/image/image-file-cleanup';
import { ImagePruneService, PRUNE_ACTOR } from '../src/image/image-prune.service';
import { PRUNE_USAGE } from '../src/prune.command';
import { STORAGE_DRIVER, type StorageDriver } from '../src/storage';
import { pngFile } from '../src/storage/testing/image-files';
import { attachEveryRelation, countRows, insertImageRow, pivotCounts } from './helpers/image-rows';
import { createTestApp, describeEachDatabase, type TestApp } from './helpers/test-app';
import { waitFor } from './helpers/wait-for';

const DAY_MS = 86_400_000;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const daysAgo = (days: number): string =>
  formatDatabaseTimestamp(nowMicros() - days * DAY_MS * 1000);

/** Images trashed at several ages (and a live one), each with a row in every pivot and a file. */
async function trashAtAges(testApp: TestApp): Promise<Record<string, number>> {
  const storage = testApp.app.get<StorageDriver>(STORAGE_DRIVER);
  const ids: Record<string, number> = {};
  const ages: [string, number | null][] = [
    ['live', null],
    ['sixDays', 6],
    ['eightDays', 8],
    ['monthOld', 30],
  ];
  for (const [name, age] of ages) {
    const row = await insertImageRow(testApp.dataSource, {
      path: `prune/${name}.png`,
      deleted_at: age === null ? null : daysAgo(age),
    });
    await attachEveryRelation(testApp.dataSource, row.image_id, 1);
    await storage.put(row.path, Readable.from([pngFile()]), {
      maxBytes: 1024,
      contentType: 'image/png',
    });
    ids[name] = row.image_id;
  }
  return ids;
}

/** The files left of `trashAtAges`' images, by name. */
const remainingFiles = async (testApp: TestApp): Promise<string[]> => {
  const storage = testApp.app.get<StorageDriver>(STORAGE_DRIVER);
  const names = ['live', 'sixDays', 'eightDays', 'monthOld'];
  const found = await Promise.all(names.map((name) => storage.stat(`prune/${name}.png`)));
  return names.filter((_, index) => found[index] !== undefined);
};

const remainingIds = async (testApp: TestApp): Promise<number[]> =>
  (
    await testApp.dataSource.query<{ image_id: number | string }[]>(
      "SELECT image_id FROM images WHERE path LIKE 'prune/%' ORDER BY image_id",
    )
  ).map((row) => Number(row.image_id));

/**
 * Pruning by age (API.md section 12): images trashed more than PRUNE_TRASHED_AFTER_DAYS ago are
 * force-deleted with their links and a domain event each; younger trash and live images stay.
 */
describeEachDatabase(
  'pruning the trash (PRUNE_TRASHED_AFTER_DAYS=7)',
  (context) => {
    it('should force-delete only images trashed more than 7 days ago, with their links and events', async () => {
      const ids = await trashAtAges(context());
      const result = await context().app.get(ImagePruneService).prune();
      expect(result).toEqual({ pruned: 2, cutoff: expect.any(String) });
      expect(await remainingIds(context())).toEqual([ids.live, ids.sixDays]);
      for (const gone of [ids.eightDays, ids.monthOld]) {
        expect(Object.values(await pivotCounts(context().dataSource, gone))).toEqual([0, 0, 0, 0]);
      }
      expect(Object.values(await pivotCounts(context().dataSource, ids.sixDays))).toEqual([
        1, 1, 1, 1,
      ]);
      const events = await context().dataSource.query<{ event_type: string; actor: string }[]>(
        'SELECT event_type, actor FROM image_event_outbox WHERE actor = ? ORDER BY outbox_id',
        [PRUNE_ACTOR],
      );
      expect(events).toEqual([
        { event_type: 'image.force_deleted', actor: PRUNE_ACTOR },
        { event_type: 'image.force_deleted', actor: PRUNE_ACTOR },
      ]);
      // Their files go after the commits; the others stay.
      await waitFor(
        'the files of the pruned images to go',
        async () => (await remainingFiles(context())).length === 2,
      );
      expect(await remainingFiles(context())).toEqual(['live', 'sixDays']);
      // A second run finds nothing more to do.
      await expect(context().app.get(ImagePruneService).prune()).resolves.toMatchObject({
        pruned: 0,
      });
    });
  },
  { env: { PRUNE_TRASHED_AFTER_DAYS: '7' } },
);

/**
 * A restore that wins the race with a run (found by a probe): the run reads a batch of old trash,
 * then force-deletes each; an image restored between the two was force-deleted all the same, row
 * and file. Here the restore of the second image happens inside the first one's force delete (a
 * trigger on its links' removal), after the batch was read: the run must judge the locked row.
 */
describeEachDatabase(
  'an image restored while a prune runs',
  (context) => {
    it('should be left alone, live, and the rest of the batch pruned', async () => {
      const { dataSource } = context();
      const first = await insertImageRow(dataSource, {
        path: 'restored/a.png',
        deleted_at: daysAgo(10),
      });
      await attachEveryRelation(dataSource, first.image_id, 1);
      const second = await insertImageRow(dataSource, {
        path: 'restored/b.png',
        deleted_at: daysAgo(10),
      });
      const restore = `UPDATE images SET deleted_at = NULL WHERE image_id = ${second.image_id}`;
      await dataSource.query(
        dataSource.options.type === 'mysql'
          ? `CREATE TRIGGER restore_during_prune AFTER DELETE ON anime_image FOR EACH ROW ${restore}`
          : `CREATE TRIGGER restore_during_prune AFTER DELETE ON anime_image BEGIN ${restore}; END`,
      );
      try {
        const result = await context().app.get(ImagePruneService).prune();
        expect(result).toEqual({ pruned: 1, cutoff: expect.any(String) });
      } finally {
        await dataSource.query('DROP TRIGGER restore_during_prune');
      }
      const rows = await dataSource.query<{ image_id: number | string; deleted_at: unknown }[]>(
        "SELECT image_id, deleted_at FROM images WHERE path LIKE 'restored/%'",
      );
      expect(rows.map((row) => [Number(row.image_id), row.deleted_at])).toEqual([
        [second.image_id, null],
      ]);
      const events = await dataSource.query<{ image_id: number | string }[]>(
        'SELECT image_id FROM image_event_outbox WHERE actor = ? ORDER BY outbox_id',
        [PRUNE_ACTOR],
      );
      expect(events.map((event) => Number(event.image_id))).toEqual([first.image_id]);
    });
  },
  { env: { PRUNE_TRASHED_AFTER_DAYS: '7' } },
);

/**
 * One run at a time: the prune lock (MySQL/MariaDB `GET_LOCK`, here taken by two app instances on
 * one database; SQLite an in-process guard) lets one run prune everything while the other, started
 * at the same time, does nothing. Without it both would take turns on the same images.
 */
describeEachDatabase(
  'two prune runs at once',
  (context) => {
    it('should let one run prune each image once, and the other skip', async () => {
      const first = context();
      const second =
        first.dataSource.options.type === 'mysql'
          ? await createTestApp('mysql', {
              database: first.database,
              env: { PRUNE_TRASHED_AFTER_DAYS: '7' },
            })
          : first;
      try {
        const ids: number[] = [];
        for (let index = 0; index < 30; index++) {
          const row = await insertImageRow(first.dataSource, {
            path: `race/${index}.png`,
            deleted_at: daysAgo(10),
          });
          ids.push(row.image_id);
        }
        const results = await Promise.all([
          first.app.get(ImagePruneService).prune(),
          second.app.get(ImagePruneService).prune(),
        ]);
        const cutoff = expect.any(String) as unknown;
        expect(results.sort((a, b) => a.pruned - b.pruned)).toEqual([
          { pruned: 0, cutoff, skipped: true },
          { pruned: 30, cutoff },
        ]);
        const events = await first.dataSource.query<{ image_id: number | string }[]>(
          'SELECT image_id FROM image_event_outbox WHERE actor = ? ORDER BY image_id',
          [PRUNE_ACTOR],
        );
        expect(events.map((event) => Number(event.image_id))).toEqual(ids);
        expect(await countRows(first.dataSource, 'images')).toBe(0);
      } finally {
        if (second !== first) await second.close();
      }
    });
  },
  { env: { PRUNE_TRASHED_AFTER_DAYS: '7' } },
);

/**
 * The longest age the setting takes (100 years) puts the cutoff before 1970: it must still be a
 * timestamp the database compares (the BigInt clock wrote its fraction as `.-345678`).
 */
describeEachDatabase(
  'pruning with the longest age (PRUNE_TRASHED_AFTER_DAYS=36500)',
  (context) => {
    it('should cut off a hundred years back and force-delete nothing younger', async () => {
      const ids = await trashAtAges(context());
      const before = Date.now();
      const result = await context().app.get(ImagePruneService).prune();
      expect(result).toEqual({ pruned: 0, cutoff: expect.stringMatching(TIMESTAMP) });
      const cutoff = Date.parse(renderTimestamp(result.cutoff)!);
      expect(Math.abs(cutoff - (before - 36_500 * DAY_MS))).toBeLessThan(60_000);
      expect(await remainingIds(context())).toEqual(Object.values(ids));
    });
  },
  { env: { PRUNE_TRASHED_AFTER_DAYS: '36500' } },
);

describe('pruning turned off (PRUNE_TRASHED_AFTER_DAYS=0)', () => {
  it('should force-delete nothing', async () => {
    const testApp = await createTestApp('sqlite', { env: { PRUNE_TRASHED_AFTER_DAYS: '0' } });
    try {
      const ids = await trashAtAges(testApp);
      await expect(testApp.app.get(ImagePruneService).prune()).resolves.toEqual({
        pruned: 0,
        cutoff: null,
      });
      expect(await remainingIds(testApp)).toEqual(Object.values(ids));
      await testApp.app.get(ImageFileCleanup).drain();
      expect(await remainingFiles(testApp)).toEqual(['live', 'sixDays', 'eightDays', 'monthOld']);
    } finally {
      await testApp.close();
    }
  });
});

describe('npm run prune', () => {
  /** Runs the command on the database and storage of `testApp`, with `args`. */
  async function runPrune(
    testApp: TestApp,
    args: string[] = [],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const database = testApp.config.database;
    if (database.type !== 'sqlite') throw new Error('sqlite expected');
    const root = join(__dirname, '..');
    const child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('ts-node/register/transpile-only'),
        join(root, 'src/prune.command.ts'),
        ...args,
      ],
      {
        cwd: testApp.config.storage.directory,
        env: {
          PATH: process.env.PATH ?? '',
          TS_NODE_PROJECT: join(root, 'tsconfig.json'),
          DATABASE_URL: `sqlite:${database.path}`,
          // Beside the stored files, never among them (the service refuses that: storage.md).
          DATA_DIR: dirname(database.path),
          STORAGE_DIR: testApp.config.storage.directory,
          JWT_SECRET: 'prune-command-test-secret-0123456789abcdef',
          PRUNE_TRASHED_AFTER_DAYS: '7',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, stdout, stderr };
  }

  it('should prune the configured database once and say how many images it removed', async () => {
    const testApp = await createTestApp('sqlite');
    try {
      const ids = await trashAtAges(testApp);
      const { code, stdout, stderr } = await runPrune(testApp);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(
        /^Pruned 2 images trashed before \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} UTC \(PRUNE_TRASHED_AFTER_DAYS=7\)\.\n$/,
      );
      expect(await remainingIds(testApp)).toEqual([ids.live, ids.sixDays]);
      // The command removed the files before it exited.
      expect(await remainingFiles(testApp)).toEqual(['live', 'sixDays']);
    } finally {
      await testApp.close();
    }
  }, 120_000);

  // Found by a probe: the command read no arguments, so `--help` (or a typo) pruned.
  it('should print its usage for --help and refuse any other argument, pruning nothing', async () => {
    const testApp = await createTestApp('sqlite');
    try {
      const ids = await trashAtAges(testApp);
      const all = await remainingIds(testApp);
      expect(await runPrune(testApp, ['--help'])).toEqual({
        code: 0,
        stdout: `${PRUNE_USAGE}\n`,
        stderr: '',
      });
      expect(await runPrune(testApp, ['--dry-run'])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Prune: unknown argument "--dry-run"; it takes no options (see --help).\n',
      });
      expect(await remainingIds(testApp)).toEqual(all);
      expect(all).toContain(ids.eightDays);
    } finally {
      await testApp.close();
    }
  }, 120_000);
});
