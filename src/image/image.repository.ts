import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { bumpChangeVersions, readDataVersion } from '../database/change-versions';
import { ReadReplicas } from '../database/read-replicas';
import type { ImageEvent, NewImageEvent } from '../events/image-event';
import { insertOutboxEvent } from '../events/outbox.repository';
import { includesOf } from '../query/query-plan';
import type { ParsedQuery } from '../query/query.types';
import type { IncludedRowGroups, RawRow } from '../query/resource-renderer';
import { KeysetPage, selectOne, selectPage } from '../query/typeorm/apply-query';
import { readTableIndexes, TableIndexes } from '../query/typeorm/index-check';
import { keysetIndexFor, withForcedIndex } from '../query/typeorm/index-hint';
import { RawReader } from '../query/typeorm/raw-reader';
import { loadIncludes } from '../query/typeorm/include-loader';
import type { SqlStatement } from '../query/typeorm/sql-fragments';
import type { DeletionTransaction } from './image-file-cleanup';
import type { ImageFacet } from './image-facet';
import { Image } from './image.entity';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';
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

/** All SQL of the Image resource. */
@Injectable()
export class ImageRepository {
  /** The tail of the SQLite write queue (see `write`). */
  private sqliteWrites: Promise<void> = Promise.resolve();
  /** The indexes of `images`, read from the catalogue once (keyset pages name theirs on MySQL). */
  private indexes?: Promise<TableIndexes>;

  /** Runs the read statements without a TypeORM query runner each (see raw-reader.ts). */
  private readonly reader: RawReader;
  private readonly offsetPages = new WeakMap<ParsedQuery, SqlStatement>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicas: ReadReplicas,
  ) {
    this.reader = RawReader.of(dataSource);
  }

  /**
   * Runs the statements of one read request on one server (read-replicas.ts): `work` gets the
   * reader of a replica within the lag bound, else of the primary, for all its reads.
   */
  reading<T>(work: (reader: RawReader) => Promise<T>): Promise<T> {
    return this.replicas.run((source) => work(RawReader.of(source)));
  }

  /**
   * A page of images for the list route as raw rows, in ONE statement selecting only the needed
   * columns, with one row more than the page size when a next page exists (see `selectPage`).
   */
  findPage(query: ParsedQuery, keyset?: KeysetPage, reader = this.reader): Promise<RawRow[]> {
    // Not an async function: the common case hands the reader's promise on as it is.
    if (keyset === undefined) return reader.all(this.offsetPageStatement(query));
    const statement = selectPage(reader.dialect, IMAGE_QUERY_SCHEMA, query, keyset);
    if (keyset.values === undefined || !this.isMysql) return reader.all(statement);
    return this.findKeysetPageWithHint(query, statement, reader);
  }

  /**
   * The statement of an offset page, built once per query object: a query string seen before comes
   * back as the same (frozen) ParsedQuery (`ParsedQueryCache`), so its statement is reused; the
   * entry goes when the query object does.
   */
  private offsetPageStatement(query: ParsedQuery): SqlStatement {
    let statement = this.offsetPages.get(query);
    if (statement === undefined) {
      statement = selectPage(this.reader.dialect, IMAGE_QUERY_SCHEMA, query);
      this.offsetPages.set(query, statement);
    }
    return statement;
  }

  /** MySQL/MariaDB: a keyset page after a position names the index of its sort (see index-hint.ts). */
  private async findKeysetPageWithHint(
    query: ParsedQuery,
    statement: SqlStatement,
    reader: RawReader,
  ): Promise<RawRow[]> {
    const index = keysetIndexFor(IMAGE_QUERY_SCHEMA, query, await this.imageIndexes());
    if (index === undefined) return reader.all(statement);
    try {
      return await reader.all({
        ...statement,
        sql: withForcedIndex(this.dataSource, statement.sql, IMAGE_QUERY_SCHEMA.table, index),
      });
    } catch (error) {
      // The index went away since the catalogue was read: read it again next time; no hint now.
      if ((error as { code?: unknown }).code !== 'ER_KEY_DOES_NOT_EXITS') throw error;
      this.indexes = undefined;
      return reader.all(statement);
    }
  }

  /** The change versions of every table the read routes render from (see change-versions.ts). */
  dataVersion(reader = this.reader): Promise<string> {
    return readDataVersion(reader);
  }

  /** One image for the show route as a raw row, live or soft-deleted. */
  async findOne(id: number, query: ParsedQuery, reader = this.reader): Promise<RawRow | undefined> {
    const rows = await reader.all(selectOne(reader.dialect, IMAGE_QUERY_SCHEMA, query, id));
    return rows[0];
  }

  /** The included relations of some images: one query per included relation, none per image. */
  findIncluded(
    query: ParsedQuery,
    imageIds: readonly (number | string)[],
    reader = this.reader,
  ): Promise<IncludedRowGroups[]> {
    const includes = includesOf(IMAGE_QUERY_SCHEMA.includes, query.include);
    return loadIncludes(reader, includes, query, imageIds);
  }

  private imageIndexes(): Promise<TableIndexes> {
    this.indexes ??= readTableIndexes(this.dataSource, [IMAGE_QUERY_SCHEMA.table]).catch(
      (error: unknown) => {
        this.indexes = undefined;
        throw error;
      },
    );
    return this.indexes;
  }

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
