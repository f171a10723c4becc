import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ConfigError } from './config/app-config';
import { loadConfigFromEnvironment } from './config/load-env';
import { ImageFileCleanup } from './image/image-file-cleanup';
import { ImagePruneService } from './image/image-prune.service';

/**
 * `npm run prune`: one prune run, as the daily job does it (docs/storage.md), against the
 * configured database and storage; prints how many images it force-deleted.
 */
async function main(): Promise<number> {
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
  main().then(
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
