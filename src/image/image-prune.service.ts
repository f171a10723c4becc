import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { withoutStatementTimeout } from '../database/database-timeouts';
import { formatDatabaseTimestamp, nowMicros } from '../database/timestamps';
import { UnitOfWork } from '../database/unit-of-work';
import { ImageService } from './image.service';

/** The actor of the domain events of pruned images. */
export const PRUNE_ACTOR = 'image-api:prune';
const DAY_MS = 24 * 60 * 60 * 1000;
/** The first scheduled prune, after start-up (then every day). */
const FIRST_RUN_DELAY_MS = 5 * 60 * 1000;
const BATCH = 100;

export interface PruneResult {
  /** Images force-deleted by this run. */
  readonly pruned: number;
  /** Trashed before this (UTC, the database's format) was old enough; null when pruning is off. */
  readonly cutoff: string | null;
  /** Present when another run held the prune lock (another instance): this one did nothing. */
  readonly skipped?: true;
}

/**
 * Force-deletes the images that have been in the trash for more than `PRUNE_TRASHED_AFTER_DAYS`
 * days (0: never), as AnimeThemes prunes: each through the force delete of the API (pivot rows,
 * the `image.force_deleted` event with actor `image-api:prune`, the file after the commit). Daily,
 * first five minutes after start; `npm run prune` runs it once. One run at a time in a fleet.
 */
@Injectable()
export class ImagePruneService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ImagePruneService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly images: ImageService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.storage.pruneTrashedAfterDays === 0) return;
    const run = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.prune()
          .then(({ pruned }) => {
            if (pruned > 0) this.logger.log(`Pruned ${pruned} images from the trash`);
          })
          .catch((error: unknown) => this.logger.error({ err: error }, 'Pruning failed'))
          .finally(() => run(DAY_MS));
      }, delay);
      this.timer.unref();
    };
    run(FIRST_RUN_DELAY_MS);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }

  /**
   * One run, unless another one holds the prune lock (on any instance): every image trashed before
   * the cutoff, oldest ids first, a batch at a time.
   */
  async prune(): Promise<PruneResult> {
    const days = this.config.storage.pruneTrashedAfterDays;
    if (days === 0) return { pruned: 0, cutoff: null };
    const cutoff = formatDatabaseTimestamp(nowMicros() - days * DAY_MS * 1000);
    const run = await this.unitOfWork.withLock('prune', () => this.pruneBefore(cutoff));
    return run.ran ? { pruned: run.value, cutoff } : { pruned: 0, cutoff, skipped: true };
  }

  private async pruneBefore(cutoff: string): Promise<number> {
    let pruned = 0;
    let after = 0;
    for (;;) {
      // Exempt from DB_STATEMENT_TIMEOUT_MS (a scan of a large trash); each force delete is not.
      const rows = await this.unitOfWork.statements((manager) =>
        withoutStatementTimeout(manager.connection, (exempt) =>
          exempt.query<{ image_id: number | string }[]>(
            'SELECT image_id FROM images WHERE deleted_at IS NOT NULL AND deleted_at < ? ' +
              'AND image_id > ? ORDER BY image_id LIMIT ?',
            [cutoff, after, BATCH],
          ),
        ),
      );
      for (const row of rows) {
        after = Number(row.image_id);
        // Skipped when, meanwhile, it was restored or is gone (a force delete, another prune).
        if (await this.images.forceDeleteTrashedBefore(after, cutoff, PRUNE_ACTOR)) pruned += 1;
      }
      if (rows.length < BATCH) return pruned;
    }
  }
}
