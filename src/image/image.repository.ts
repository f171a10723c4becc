import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { bumpChangeVersions } from '../database/change-versions';
import type { ImageEvent, NewImageEvent } from '../events/image-event';
import { insertOutboxEvent } from '../events/outbox.repository';
import type { DeletionTransaction } from './image-file-cleanup';
import type { ImageFacet } from './image-facet';
import { Image } from './image.entity';
import type { ImageRow } from './image.serializer';

/** The pivot tables that hold `image_id`; force delete empties them with the image. */
export const IMAGE_PIVOT_TABLES = ['anime_image', 'artist_image', 'studio_image', 'playlist_image'];

/** An `images` row with its soft-delete state. */
export interface StoredImageRow extends ImageRow {
  image_id: number;
  facet: ImageFacet;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ImageChanges {
  path?: string;
  facet?: ImageFacet;
  updatedAt?: string;
  deletedAt?: string | null;
}

const MAX_DEADLOCK_ATTEMPTS = 3;

function toStoredRow(image: Image): StoredImageRow {
  return {
    image_id: Number(image.imageId),
    path: image.path,
    facet: Number(image.facet),
    created_at: image.createdAt,
    updated_at: image.updatedAt,
    deleted_at: image.deletedAt ?? null,
  };
}

function isDeadlock(error: unknown): boolean {
  const coded = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return coded?.code === 'ER_LOCK_DEADLOCK' || coded?.driverError?.code === 'ER_LOCK_DEADLOCK';
}

/** The image writes of one transaction; rows read through it are locked until it ends (MySQL). */
export class ImageWriteTransaction implements DeletionTransaction {
  /** The tables this transaction wrote: their change versions are bumped before it commits. */
  readonly changedTables = new Set<string>();

  /** The domain events this transaction wrote to the outbox, in order (see `recordEvent`). */
  readonly recordedEvents: ImageEvent[] = [];

  /** Run by `ImageRepository.write` once this transaction has committed (never after a rollback). */
  readonly commitListeners: (() => void)[] = [];

  constructor(
    private readonly manager: EntityManager,
    private readonly lockRows: boolean,
  ) {}

  /** A statement of this transaction (`ImageFileCleanup.schedule` writes its row with it). */
  execute(sql: string, parameters?: readonly unknown[]): Promise<unknown> {
    return this.manager.query(sql, parameters as unknown[] | undefined);
  }

  afterCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** Plain SQL in this transaction, for records of other modules (idempotency keys). */
  query(sql: string, parameters?: unknown[]): Promise<unknown> {
    return this.manager.query(sql, parameters);
  }

  /** The row, locked for the rest of the transaction; trashed rows only when `withTrashed`. */
  async findForUpdate(
    id: number,
    options: { withTrashed: boolean },
  ): Promise<StoredImageRow | null> {
    const query = this.manager
      .createQueryBuilder(Image, 'image')
      .withDeleted()
      .where('image.imageId = :id', { id });
    if (!options.withTrashed) query.andWhere('image.deletedAt IS NULL');
    if (this.lockRows) query.setLock('pessimistic_write');
    const image = await query.getOne();
    return image === null ? null : toStoredRow(image);
  }

  /**
   * Writes a domain event to the outbox in this transaction: it is committed (and later published)
   * exactly when the change is, and never without it.
   */
  async recordEvent(event: NewImageEvent): Promise<void> {
    this.recordedEvents.push(await insertOutboxEvent(this.manager, event));
  }

  /** Inserts a live image stamped `now`; returns its id. */
  async insert(values: { path: string; facet: ImageFacet }, now: string): Promise<number> {
    this.changedTables.add('images');
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(Image)
      .values({ ...values, createdAt: now, updatedAt: now, deletedAt: null })
      .execute();
    return Number((result.identifiers[0] as { imageId: number }).imageId);
  }

  async update(id: number, changes: ImageChanges): Promise<void> {
    this.changedTables.add('images');
    await this.manager
      .createQueryBuilder()
      .update(Image)
      .set(changes)
      .where('image_id = :id', { id })
      .execute();
  }

  /** Deletes the image and, explicitly (foreign keys may be off on SQLite), its pivot rows. */
  async deleteWithPivots(id: number): Promise<void> {
    for (const table of ['images', ...IMAGE_PIVOT_TABLES]) this.changedTables.add(table);
    for (const table of IMAGE_PIVOT_TABLES) {
      await this.manager
        .createQueryBuilder()
        .delete()
        .from(table)
        .where('image_id = :id', { id })
        .execute();
    }
    await this.manager
      .createQueryBuilder()
      .delete()
      .from(Image)
      .where('image_id = :id', { id })
      .execute();
  }
}

/** The image writes (the reads go through the QueryModule's shared reader). */
@Injectable()
export class ImageRepository {
  /** The tail of the SQLite write queue (see `write`). */
  private sqliteWrites: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql';
  }

  /**
   * Runs `work` in one transaction. MySQL: rows read with `findForUpdate` are locked, so racing
   * writes to one image serialise; a deadlock is retried. SQLite (better-sqlite3): TypeORM shares
   * one connection between all requests, so two transactions that were open at once would nest as
   * savepoints of each other (and a rollback could take the other request's write along). Today
   * no write awaits real I/O mid-transaction, but the queue keeps that true by construction.
   */
  write<T>(work: (transaction: ImageWriteTransaction) => Promise<T>): Promise<T> {
    const run = async () => {
      let committed!: ImageWriteTransaction;
      const result = await this.dataSource.transaction(async (manager) => {
        committed = new ImageWriteTransaction(manager, this.isMysql);
        const value = await work(committed);
        // Last, so the version rows stay locked only for the commit (conditional GETs read them).
        await bumpChangeVersions(manager, [...committed.changedTables]);
        return value;
      });
      for (const listener of committed.commitListeners) listener();
      return result;
    };
    return this.isMysql ? this.retryOnDeadlock(run) : this.queueSqliteWrite(run);
  }

  /**
   * Runs `work` in a short transaction of its own that, on SQLite, waits its turn in the write
   * queue like an image write. For the event relay: on the one SQLite connection, a statement run
   * while an image write is open would become part of it (and see its uncommitted rows).
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = () => this.dataSource.transaction(work);
    return this.isMysql ? run() : this.queueSqliteWrite(run);
  }

  private async retryOnDeadlock<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (!isDeadlock(error) || attempt >= MAX_DEADLOCK_ATTEMPTS) throw error;
      }
    }
  }

  private async queueSqliteWrite<T>(run: () => Promise<T>): Promise<T> {
    const previous = this.sqliteWrites;
    let release!: () => void;
    this.sqliteWrites = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await run();
    } finally {
      release();
    }
  }
}
