import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import {
  databaseNow,
  formatDatabaseTimestamp,
  nowMicros,
  renderTimestamp,
} from '../database/timestamps';
import { UnitOfWork } from '../database/unit-of-work';
import { isStoragePath, STORAGE_DRIVER, type StorageDriver } from '../storage';

export const STORAGE_DELETIONS_TABLE = 'storage_deletions';

/** What `schedule` and `claim` need of the write's transaction (a `WriteTransaction`). */
export interface DeletionTransaction {
  execute(sql: string, parameters?: readonly unknown[]): Promise<unknown>;
  afterCommit(listener: () => void): void;
}

/** What `isNamed` needs to run its statement: the pool, or the removal's own transaction. */
interface StatementRunner {
  query(sql: string, parameters: unknown[]): Promise<unknown>;
}

interface DueDeletion {
  storage_deletion_id: number | string;
  path: string;
  attempts: number | string;
}

/** Rows handled per pass. */
const BATCH = 50;
const FIRST_RETRY_MS = 500;
/**
 * How long after an upload is stored its file is checked for a row naming it (`guard`): well past
 * any create's commit, a whole request being bounded to 30 s.
 */
export const UPLOAD_GUARD_MS = 10 * 60 * 1000;

/**
 * Removes the files of force-deleted images, after the commit and until the store answers: the
 * transaction that deletes the row also writes a `storage_deletions` row (`schedule`), and this
 * worker deletes the file, then the row. While the store fails, a row waits longer each time
 * (0.5 s doubling up to `OUTBOX_RETRY_MAX_MS`), so the file goes soon after the store is back: each
 * pass ends by timing the next one for the soonest row still waiting, or, with none, for
 * `OUTBOX_RETRY_MAX_MS` later. The rows survive restarts, and every instance looks at every due
 * row, so any instance finishes what another left, also when that one died before retrying
 * (deleting a file twice is harmless).
 * A file whose path another image still names is left alone (paths are not unique, and JSON
 * creates may share one), also when the two paths meet only through a folder link. A write that
 * names the path again cancels its removal (`claim`), and the two are ordered by the removal's row.
 */
@Injectable()
export class ImageFileCleanup implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ImageFileCleanup.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** Records, in `transaction`, that the file at `path` goes once it commits. */
  async schedule(transaction: DeletionTransaction, path: string): Promise<void> {
    // A path no stored file can have (a JSON create's `a//b.png`) has no file to remove.
    if (!isStoragePath(path)) return;
    const now = databaseNow();
    await transaction.execute(
      `INSERT INTO ${STORAGE_DELETIONS_TABLE} (path, attempts, next_attempt_at, last_error, created_at) ` +
        'VALUES (?, 0, ?, NULL, ?)',
      [path, now, now],
    );
    transaction.afterCommit(() => void this.wake());
  }

  /**
   * A create or an update names `path`: a removal still waiting for that file is cancelled, in the
   * write's transaction. The removal holds its row while it checks and deletes (`remove`), so the
   * write waits for one under way, and then names a file that is gone, as if it came after; a
   * removal that comes later finds its row gone. Before this, a create committed between the
   * removal's check and its delete named a file that then vanished (found by a probe).
   */
  async claim(transaction: DeletionTransaction, path: string): Promise<void> {
    if (!isStoragePath(path)) return;
    await transaction.execute(
      `DELETE FROM ${STORAGE_DELETIONS_TABLE} WHERE path = ? AND ${this.exactPath}`,
      [path, path],
    );
  }

  /**
   * Before an upload is stored at `path`: a row of its own that comes due `UPLOAD_GUARD_MS` later,
   * when the file goes unless an image names it by then. So the file of a create that never
   * committed does not stay for ever: the process died between the store and the commit, or the
   * commit's outcome was lost. The worker's idle pass finds the row when it is due.
   */
  async guard(path: string): Promise<void> {
    const now = nowMicros();
    await this.query(
      `INSERT INTO ${STORAGE_DELETIONS_TABLE} (path, attempts, next_attempt_at, last_error, created_at) ` +
        'VALUES (?, 0, ?, NULL, ?)',
      [path, formatDatabaseTimestamp(now + UPLOAD_GUARD_MS * 1000), formatDatabaseTimestamp(now)],
    );
  }

  /**
   * Drops the guard of `path` (a row `guard` wrote: still untried, due later than it was made)
   * after a failed create removed the file. (A create that names the file drops it by `claim`.)
   */
  async release(path: string): Promise<void> {
    await this.query(
      `DELETE FROM ${STORAGE_DELETIONS_TABLE} ` +
        'WHERE path = ? AND attempts = 0 AND next_attempt_at > created_at',
      [path],
    );
  }

  /** Rows a stopped instance left (it died, or the store was down), before requests are served. */
  async onApplicationBootstrap(): Promise<void> {
    await this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs a pass now (or right after the running one); resolves when it is done. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    let nextPassInMs: number | undefined;
    this.running = this.pass()
      .then(
        (waitMs) => {
          nextPassInMs =
            waitMs === undefined
              ? undefined
              : Math.min(waitMs, this.config.messaging.outbox.retryMaxMs);
        },
        (error: unknown) => {
          this.logger.error({ err: error }, 'File clean-up pass failed');
          nextPassInMs = this.config.messaging.outbox.retryMaxMs;
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.wake();
        } else {
          // Rows another instance left (it died before its retry) are due here too: with none
          // waiting, look again after the longest retry wait (OUTBOX_RETRY_MAX_MS).
          this.arm(nextPassInMs ?? this.config.messaging.outbox.retryMaxMs);
        }
      });
    return this.running;
  }

  /** Runs passes until one started after this call has ended (what is due now has been tried). */
  async drain(): Promise<void> {
    while (this.running !== undefined) await this.running;
    await this.wake();
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.wake(), delayMs);
    this.timer.unref();
  }

  /**
   * Whether an image still names the file, byte for byte as the file system does: MySQL's `=` on
   * `path` ignores case and trailing spaces (its collation), and a file that another image named
   * only in another case was never removed. The plain `=` finds the candidates by the index.
   */
  private get namedSql(): string {
    return `SELECT 1 AS named FROM images WHERE path = ? AND ${this.exactPath} LIMIT 1`;
  }

  /** `path` equal byte for byte (MySQL's `=` ignores case and trailing spaces); after `path = ?`. */
  private get exactPath(): string {
    return this.unitOfWork.isMysql ? 'BINARY path = ?' : 'path = ?';
  }

  /**
   * Whether an image names the file at `path`, by that path or by the one it leads to through a
   * folder link (`alias/x.png` and `cover/x.png`, when `alias` links to `cover`).
   */
  private async isNamed(path: string, runner: StatementRunner): Promise<boolean> {
    const reached = (await this.storage.resolve?.(path)) ?? path;
    for (const candidate of new Set([path, reached])) {
      const [named] = (await runner.query(this.namedSql, [candidate, candidate])) as unknown[];
      if (named !== undefined) return true;
    }
    return false;
  }

  /** One statement, through the unit of work (SQLite: in the write queue, never inside a write). */
  private query<T = unknown>(sql: string, parameters: unknown[]): Promise<T> {
    return this.unitOfWork.statements((manager) => manager.query<T>(sql, parameters));
  }

  /**
   * Every due row, oldest first, a batch at a time; then the time until the soonest row still
   * waiting (one the store failed, here or on another instance) is due, if any.
   */
  private async pass(): Promise<number | undefined> {
    for (;;) {
      const due = await this.query<DueDeletion[]>(
        `SELECT storage_deletion_id, path, attempts FROM ${STORAGE_DELETIONS_TABLE} ` +
          'WHERE next_attempt_at <= ? ORDER BY next_attempt_at, storage_deletion_id LIMIT ?',
        [databaseNow(), BATCH],
      );
      for (const row of due) await this.remove(row);
      if (due.length < BATCH || this.stopped) break;
    }
    const [{ next }] = await this.query<{ next: string | Date | null }[]>(
      `SELECT MIN(next_attempt_at) AS next FROM ${STORAGE_DELETIONS_TABLE}`,
      [],
    );
    if (next === null) return undefined;
    // A few ms late on purpose: the timer's clock and the row's stamp round differently.
    return Math.max(0, Date.parse(renderTimestamp(next) ?? '') - Date.now()) + 5;
  }

  private async remove(row: DueDeletion): Promise<void> {
    const id = row.storage_deletion_id;
    try {
      // One transaction holding the row from the check to its delete: a write naming the path
      // again deletes the row first (`claim`), so it waits, or this finds the row gone. (SQLite:
      // in the write queue, the file's delete too.) A delete whose commit fails is made again.
      await this.unitOfWork.run(async (transaction) => {
        const lock = transaction.lockRows ? ' FOR UPDATE' : '';
        const [pending] = (await transaction.query(
          `SELECT storage_deletion_id FROM ${STORAGE_DELETIONS_TABLE} WHERE storage_deletion_id = ?${lock}`,
          [id],
        )) as unknown[];
        if (pending === undefined) return;
        if (!(await this.isNamed(row.path, transaction))) await this.storage.delete(row.path);
        await transaction.execute(
          `DELETE FROM ${STORAGE_DELETIONS_TABLE} WHERE storage_deletion_id = ?`,
          [id],
        );
      });
    } catch (error) {
      const attempts = Number(row.attempts) + 1;
      const waitMs = Math.min(
        FIRST_RETRY_MS * 2 ** Math.min(attempts - 1, 20),
        this.config.messaging.outbox.retryMaxMs,
      );
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `Could not remove stored file "${row.path}" (attempt ${attempts}); next try in ${waitMs} ms: ${message}`,
      );
      await this.query(
        `UPDATE ${STORAGE_DELETIONS_TABLE} SET attempts = ?, next_attempt_at = ?, last_error = ? ` +
          'WHERE storage_deletion_id = ?',
        [attempts, formatDatabaseTimestamp(nowMicros() + waitMs * 1000), message.slice(0, 255), id],
      );
    }
  }
}
