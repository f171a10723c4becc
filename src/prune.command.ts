import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ConfigError } from './config/app-config';
import { loadConfigFromEnvironment } from './config/load-env';
import { ImageFileCleanup } from './image/image-file-cleanup';
import { ImagePruneService } from './image/image-prune.service';

export const PRUNE_USAGE = `Usage: npm run prune [-- --help]
       node dist/prune.command.js (where only the build is, as in the Docker image)

Force-deletes, files included, the images in the trash for longer than PRUNE_TRASHED_AFTER_DAYS
(default 7) days, once, as the service's daily job does, against the database and storage the
environment configures (docs/configuration.md). It takes no options.`;

/**
 * What the arguments ask for: `help`, or a run when there are none. Anything else is refused: this
 * command deletes, so a flag it does not know (a typo, an option of another command) must not run
 * it (it ran, `--help` included, until a probe found it).
 */
export function parsePruneArguments(argv: readonly string[]): 'run' | 'help' | { error: string } {
  if (argv.length === 0) return 'run';
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) return 'help';
  const unknown = argv.find((argument) => argument !== '--help' && argument !== '-h') ?? argv[0];
  return { error: `Prune: unknown argument "${unknown}"; it takes no options (see --help).` };
}

/**
 * `npm run prune`: one prune run, as the daily job does it (docs/storage.md), against the
 * configured database and storage; prints how many images it force-deleted.
 */
async function main(argv: readonly string[]): Promise<number> {
  const asked = parsePruneArguments(argv);
  if (asked === 'help') {
    process.stdout.write(`${PRUNE_USAGE}\n`);
    return 0;
  }
  if (asked !== 'run') {
    process.stderr.write(`${asked.error}\n`);
    return 1;
  }
  const config = loadConfigFromEnvironment();
  if (config.storage.pruneTrashedAfterDays === 0) {
    process.stdout.write('Pruning is off (PRUNE_TRASHED_AFTER_DAYS=0).\n');
    return 0;
  }
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...config, demoData: false }),
    { logger: ['error', 'warn'] },
  );
  try {
    const { pruned, cutoff, skipped } = await app.get(ImagePruneService).prune();
    // The files of the pruned images, before the context closes (a store that refuses leaves its
    // rows to the service's clean-up).
    await app.get(ImageFileCleanup).drain();
    if (skipped) {
      process.stdout.write('Another instance is pruning right now: nothing done.\n');
      return 0;
    }
    process.stdout.write(
      `Pruned ${pruned} image${pruned === 1 ? '' : 's'} trashed before ${cutoff} UTC ` +
        `(PRUNE_TRASHED_AFTER_DAYS=${config.storage.pruneTrashedAfterDays}).\n`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const message =
        error instanceof ConfigError
          ? error.message
          : `Pruning failed: ${error instanceof Error ? error.message : String(error)}`;
      process.stderr.write(`${message}\n`);
      process.exit(1);
    },
  );
}
