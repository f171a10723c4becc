import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { databaseNow, formatDatabaseTimestamp, nowMicros } from '../database/timestamps';
import { UnitOfWork } from '../database/unit-of-work';
import { ImageEventNotifier } from './image-event.notifier';
import { EventStreamMismatchError, ImageEventPublisher } from './jetstream-event.publisher';
import {
  findPendingOutboxEvents,
  markOutboxEventsPublished,
  purgePublishedOutboxEvents,
  toImageEvent,
} from './outbox.repository';

/** Injection token of the relay's publisher (null: no broker configured, events stay put). */
export const IMAGE_EVENT_PUBLISHER = Symbol('IMAGE_EVENT_PUBLISHER');

const BATCH_SIZE = 100;
/** One instance at a time publishes (`UnitOfWork.withLock`). */
const RELAY_LOCK = 'outbox_relay';
const FIRST_RETRY_MS = 50;
const PUBLISHED_RETENTION_MS = 7 * 24 * 3600 * 1000;
const PURGE_INTERVAL_MS = 3600 * 1000;

/**
 * Publishes the outbox: pending events, oldest first, one at a time (each waits for the broker's
 * acknowledgement, so the stream holds them in outbox order), marking them published in batches.
 *
 * - It starts with the application and first publishes whatever an earlier process committed
 *   but never published (it died in between, or the broker was down).
 * - A commit wakes it (through `ImageEventNotifier`); it also looks every
 *   `OUTBOX_POLL_INTERVAL_MS` for rows other instances wrote.
 * - A failed publish stops the pass; the next one starts from the same event after a backoff
 *   (50 ms doubling up to `OUTBOX_RETRY_MAX_MS`, with jitter), or as soon as the broker
 *   connection comes back, whichever is first. Events can so be published twice
 *   (a publish that was stored but not acknowledged, or a crash before the rows are marked): the
 *   event id is the JetStream message id, and consumers drop ids they have seen.
 * - It never runs inside a request. On SQLite its statements queue behind the image writes like
 *   any write (one connection), as short transactions, and the publishing happens outside them.
 *   On MySQL one instance at a time publishes (a `GET_LOCK` held for the pass), so that instances
 *   sharing a database do not interleave their publishes.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private timer?: NodeJS.Timeout;
  private timerDue = Number.POSITIVE_INFINITY;
  private pass?: Promise<void>;
  private passRequested = false;
  private failures = 0;
  private lastPurge = 0;
  private unsubscribe?: () => void;
  private unsubscribeReconnect?: () => void;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly notifier: ImageEventNotifier,
    @InjectAppConfig() private readonly config: AppConfig,
    @Optional()
    @Inject(IMAGE_EVENT_PUBLISHER)
    private readonly publisher: ImageEventPublisher | null,
  ) {}

  /** Whether the relay is started (a publisher is configured and it was not stopped). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Whether a failed pass waits for its backoff, and until when (epoch ms). */
  get retryDueAt(): number | undefined {
    return this.failures > 0 && this.timer !== undefined ? this.timerDue : undefined;
  }

  /**
   * Start-up stops (one line, `main.ts`) when the stream and the subject prefix do not go together;
   * a broker that cannot be reached is only retried, as any later outage.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.publisher === null || this.publisher === undefined) return;
    await this.publisher.ready().catch((error: unknown) => {
      if (error instanceof EventStreamMismatchError) throw error;
    });
    this.start();
  }

  /** Before the database closes: a publish under way is cut short by closing the connection. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    await Promise.all([this.stop(), this.publisher?.close()]);
  }

  start(): void {
    if (this.running || this.publisher === null || this.publisher === undefined) return;
    this.running = true;
    this.failures = 0;
    this.unsubscribe = this.notifier.subscribe(() => this.wake());
    this.unsubscribeReconnect = this.publisher.onReconnect(() => this.brokerReturned());
    this.schedule(0);
  }

  /** Stops publishing; resolves once a pass under way has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeReconnect?.();
    this.unsubscribeReconnect = undefined;
    this.clearTimer();
    await this.pass;
  }

  /** Publish soon: something was committed. Ignored while backing off from a failure. */
  wake(): void {
    if (this.failures === 0) this.schedule(0);
  }

  /** The broker is back: publish now rather than when the backoff ends. */
  private brokerReturned(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const due = Date.now() + delayMs;
    if (this.timer !== undefined && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      this.runPass();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private runPass(): void {
    if (this.pass !== undefined) {
      this.passRequested = true;
      return;
    }
    this.pass = this.publishPending()
      .then(
        () => this.succeeded(),
        (error: unknown) => this.failed(error),
      )
      .finally(() => {
        this.pass = undefined;
        if (this.passRequested && this.failures === 0) {
          this.passRequested = false;
          this.schedule(0);
        }
      });
  }

  private succeeded(): void {
    if (this.failures > 0)
      this.logger.log(`Publishing again after ${this.failures} failed attempts`);
    this.failures = 0;
    this.schedule(this.config.messaging.outbox.pollIntervalMs);
  }

  private failed(error: unknown): void {
    this.failures += 1;
    this.passRequested = false;
    const ceiling = this.config.messaging.outbox.retryMaxMs;
    const backoff = Math.min(ceiling, FIRST_RETRY_MS * 2 ** Math.min(this.failures - 1, 20));
    const delay = Math.max(1, Math.round(backoff * (0.5 + Math.random() / 2)));
    if (this.failures === 1 || this.failures % 20 === 0) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `Events stay in the outbox: publishing failed (${this.failures}x, next attempt in ${delay} ms): ${reason}`,
      );
    }
    this.schedule(delay);
  }

  /** One pass: every pending event, oldest first, until none is left or a publish fails. */
  private async publishPending(): Promise<void> {
    await this.publisher!.ready();
    await this.unitOfWork.withLock(RELAY_LOCK, async () => {
      while (this.running) {
        const rows = await this.store((manager) => findPendingOutboxEvents(manager, BATCH_SIZE));
        const published: number[] = [];
        try {
          for (const row of rows) {
            if (!this.running) break;
            await this.publisher!.publish(toImageEvent(row));
            published.push(Number(row.outboxId));
          }
        } finally {
          if (published.length > 0) {
            await this.store((manager) =>
              markOutboxEventsPublished(manager, published, databaseNow()),
            );
          }
        }
        if (rows.length < BATCH_SIZE) break;
      }
      await this.purgeOccasionally();
    });
  }

  private async purgeOccasionally(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = Date.now();
    const cutoff = formatDatabaseTimestamp(nowMicros() - PUBLISHED_RETENTION_MS * 1000);
    await this.store((manager) => purgePublishedOutboxEvents(manager, cutoff));
  }

  /** Outbox statements: on SQLite in the write queue, as short transactions of their own. */
  private store<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.unitOfWork.statements(work);
  }
}
