import 'reflect-metadata';
import { Presets, SingleBar } from 'cli-progress';
import { ConfigError, DatabaseConfig } from '../config/app-config';
import { loadConfigFromEnvironment } from '../config/load-env';
import { openDataSource } from '../database/data-source';
import {
  resolveSeedOptions,
  SeedError,
  SeedOptions,
  SeedProgress,
  SeedResult,
  seedDatabase,
} from './database-seeder';
import { DEMO_DATA_OPTIONS, SEED_TABLES } from './demo-data.generator';

export const SEED_USAGE = `Usage: npm run seed -- [options]

Fills the configured database (DATABASE_URL, or the embedded SQLite file) with generated demo data.
Migrations run first unless DB_MIGRATE=false. The database must be empty, or use --reset.

Options:
  --images N      images to generate (default ${DEMO_DATA_OPTIONS.images})
  --anime N       anime (default: images / 4)
  --artists N     artists (default: images * 3 / 20)
  --studios N     studios (default: images / 25)
  --playlists N   playlists (default: images / 50)
  --seed N        random seed; the same seed and sizes give the same rows (default 1)
  --reset         delete every row of the data model first
  --help          show this text

Numbers may use _ or , as separators: --images 1_000_000`;

export interface SeedCommand {
  readonly help: boolean;
  readonly options: SeedOptions;
}

/** A bad command line; the message names the flag. */
export class SeedArgumentError extends Error {}

const COUNT_FLAGS = ['images', 'anime', 'artists', 'studios', 'playlists', 'seed'] as const;
type CountFlag = (typeof COUNT_FLAGS)[number];

/** Parses `--images N --anime N ... --seed N --reset --help` (also `--flag=N`). */
export function parseSeedArguments(argv: readonly string[]): SeedCommand {
  const counts: Partial<Record<CountFlag, number>> = {};
  let reset = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    const [flag, inline] = argument.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flag.replace(/^--?/, '');
    if (flag === '--help' || flag === '-h') {
      help = true;
    } else if (flag === '--reset' && inline === undefined) {
      reset = true;
    } else if (flag.startsWith('--') && (COUNT_FLAGS as readonly string[]).includes(name)) {
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new SeedArgumentError(`${flag} needs a number`);
      const text = raw.replace(/[_,]/g, '');
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new SeedArgumentError(`${flag} must be a whole number (got "${raw}")`);
      }
      if (counts[name as CountFlag] !== undefined) {
        throw new SeedArgumentError(`${flag} is given twice`);
      }
      counts[name as CountFlag] = Number(text);
    } else {
      throw new SeedArgumentError(`unknown argument "${argument}" (see --help)`);
    }
  }
  return {
    help,
    options: { ...counts, images: counts.images ?? DEMO_DATA_OPTIONS.images, reset },
  };
}

/** Where the rows go, without the password. */
export function describeDatabase(database: DatabaseConfig): string {
  return database.type === 'sqlite'
    ? `sqlite:${database.path}`
    : `mysql://${database.username}@${database.host}:${database.port}/${database.database}`;
}

const number = (value: number): string => value.toLocaleString('en-US');

function summary(result: SeedResult): string {
  const counts = (tables: readonly string[]) =>
    tables.map((table) => `${table} ${number(result.rows[table as never])}`).join(' · ');
  return [
    `Done in ${result.seconds.toFixed(1)} s: ${number(result.totalRows)} rows, ` +
      `${number(result.rowsPerSecond)} rows/s`,
    `  ${counts(['images', 'anime', 'artists', 'studios', 'playlists'])}`,
    `  ${counts(SEED_TABLES.filter((table) => table.endsWith('_image')))}`,
  ].join('\n');
}

/** A progress bar on a terminal; a line per tenth of the work otherwise (CI logs, pipes). */
function progressReporter(): { update: (progress: SeedProgress) => void; stop: () => void } {
  const started = performance.now();
  const rate = (done: number) => number(Math.round(done / ((performance.now() - started) / 1000)));
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format: ' {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | {table}',
        formatValue: (value, _options, type) =>
          type === 'value' || type === 'total' ? number(value) : String(value),
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    let running = false;
    return {
      update: ({ rowsDone, rowsPlanned, table }) => {
        if (!running) bar.start(rowsPlanned, 0, { rate: '0', table });
        running = true;
        bar.update(rowsDone, { rate: rate(rowsDone), table });
      },
      stop: () => bar.stop(),
    };
  }
  let nextTenth = 1;
  return {
    update: ({ rowsDone, rowsPlanned, table }) => {
      if (rowsPlanned === 0 || rowsDone < (rowsPlanned * nextTenth) / 10) return;
      nextTenth = Math.floor((rowsDone * 10) / rowsPlanned) + 1;
      const percent = Math.floor((rowsDone * 100) / rowsPlanned);
      process.stderr.write(
        `${percent}% ${number(rowsDone)}/${number(rowsPlanned)} rows, ${rate(rowsDone)} rows/s (${table})\n`,
      );
    },
    stop: () => undefined,
  };
}

/** `npm run seed`: returns the process exit code. */
export async function runSeedCommand(argv: readonly string[]): Promise<number> {
  let command: SeedCommand;
  try {
    command = parseSeedArguments(argv);
  } catch (error) {
    if (!(error instanceof SeedArgumentError)) throw error;
    process.stderr.write(`Seed: ${error.message}\n`);
    return 1;
  }
  if (command.help) {
    process.stdout.write(`${SEED_USAGE}\n`);
    return 0;
  }

  const progress = progressReporter();
  try {
    const { images, anime, artists, studios, playlists, seed } = resolveSeedOptions(
      command.options,
    );
    const config = loadConfigFromEnvironment();
    const dataSource = await openDataSource(config.database);
    try {
      if (config.migrate) await dataSource.runMigrations();
      process.stdout.write(
        `Seeding ${describeDatabase(config.database)} with ${number(images)} images, ` +
          `${number(anime)} anime, ${number(artists)} artists, ${number(studios)} studios, ` +
          `${number(playlists)} playlists (seed ${seed})\n`,
      );
      const result = await seedDatabase(dataSource, command.options, progress.update);
      progress.stop();
      process.stdout.write(`${summary(result)}\n`);
      return 0;
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    progress.stop();
    const message =
      error instanceof ConfigError || error instanceof SeedError
        ? error.message
        : `Seeding failed: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runSeedCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
