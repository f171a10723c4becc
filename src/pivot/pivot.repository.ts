import { Injectable } from '@nestjs/common';
import type { NewImageEvent } from '../events/image-event';
import type { WriteTransaction } from '../database/unit-of-work';
import { UnitOfWork } from '../database/unit-of-work';
import { ImageEventNotifier } from '../events/image-event.notifier';
import type { RawRow, ResourceSchema } from '../query';
import { PivotDefinition, PIVOT_IMAGE_COLUMN } from './pivot-definition';

/** One link row as stored: both ids, `depth` (artistimage), timestamps. */
export type PivotRow = Readonly<Record<string, string | number | null>>;

/** The image columns a pivot write reads (for its messages and events). */
const IMAGE_COLUMNS = ['image_id', 'path', 'facet', 'created_at', 'updated_at', 'deleted_at'];

/** A link's key: the parent's id and the image's. */
export interface LinkKey {
  readonly parentId: number;
  readonly imageId: number;
}

function columnsOf(schema: ResourceSchema): string[] {
  return schema.fields.flatMap((field) => (field.column === undefined ? [] : [field.column]));
}

function linkConditions(pivot: PivotDefinition, key: LinkKey): [string, unknown][] {
  return [
    [pivot.parentColumn, key.parentId],
    [PIVOT_IMAGE_COLUMN, key.imageId],
  ];
}

/** A unique-key violation: the link exists (a racing attach committed it first). */
function isDuplicateKey(error: unknown): boolean {
  const coded = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = coded?.driverError?.code ?? coded?.code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** The statements of one pivot write, in its transaction (rows it locks stay locked until the end). */
export class PivotWriteTransaction {
  constructor(
    private readonly unit: WriteTransaction,
    private readonly events: ImageEventNotifier,
  ) {}

  /**
   * The parent named by its public key, when it is live and visible (Public, for playlists);
   * locked for update (MySQL), so the link writes of one parent take turns: an attach's
   * duplicate-key check and a detach's lock on one link otherwise deadlock under load.
   */
  async findParent(pivot: PivotDefinition, key: string): Promise<RawRow | undefined> {
    const { schema, keyColumn } = pivot.parent;
    const conditions: [string, unknown][] = [[keyColumn, key]];
    for (const [column, value] of Object.entries(schema.fixedConditions ?? {})) {
      conditions.push([column, value]);
    }
    const rows = await this.select(schema.table, columnsOf(schema), conditions, {
      live: schema.softDeletes,
      lock: 'update',
    });
    // The key is unique under the column's collation, which on MySQL ignores case and trailing
    // spaces: only the exact spelling names the parent (as on SQLite).
    return rows.find((row) => row[keyColumn] === key);
  }

  /**
   * A live image, locked for update (MySQL) until the end: a delete of it waits for this write, or
   * this write sees it gone (a link insert would otherwise fail its foreign key); and the writes of
   * one image take turns, so its events get their outbox sequence in the order they commit. With a
   * shared lock two link writes of one image ran side by side, and a later sequence could commit,
   * and be published, first (found by a probe: 52 of 6,400 link events out of order).
   */
  async findImage(id: number): Promise<RawRow | undefined> {
    const rows = await this.select('images', IMAGE_COLUMNS, [['image_id', id]], {
      live: true,
      lock: 'update',
    });
    return rows[0];
  }

  /** The link of a parent and an image; `forUpdate` locks it for the rest of the transaction. */
  async findLink(
    pivot: PivotDefinition,
    key: LinkKey,
    options: { forUpdate: boolean },
  ): Promise<PivotRow | undefined> {
    const rows = await this.select(
      pivot.schema.table,
      columnsOf(pivot.schema),
      linkConditions(pivot, key),
      { lock: options.forUpdate ? 'update' : undefined },
    );
    return rows[0] as PivotRow | undefined;
  }

  /** Inserts a link; false when it exists already (also when a racing attach just committed it). */
  async insertLink(pivot: PivotDefinition, row: PivotRow): Promise<boolean> {
    this.unit.changed(pivot.schema.table);
    const columns = Object.keys(row);
    try {
      await this.run(
        `INSERT INTO ${this.quote(pivot.schema.table)} (${columns.map((c) => this.quote(c)).join(', ')}) ` +
          `VALUES (${columns.map(() => '?').join(', ')})`,
        Object.values(row),
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async updateLink(pivot: PivotDefinition, key: LinkKey, changes: PivotRow): Promise<void> {
    this.unit.changed(pivot.schema.table);
    const [where, parameters] = this.where(linkConditions(pivot, key));
    const assignments = Object.keys(changes).map((column) => `${this.quote(column)} = ?`);
    await this.run(
      `UPDATE ${this.quote(pivot.schema.table)} SET ${assignments.join(', ')} WHERE ${where}`,
      [...Object.values(changes), ...parameters],
    );
  }

  async deleteLink(pivot: PivotDefinition, key: LinkKey): Promise<void> {
    this.unit.changed(pivot.schema.table);
    const [where, parameters] = this.where(linkConditions(pivot, key));
    await this.run(`DELETE FROM ${this.quote(pivot.schema.table)} WHERE ${where}`, parameters);
  }

  /** Runs SQL in this transaction (the idempotency store records an attach's answer with it). */
  get runner(): { query(sql: string, parameters?: unknown[]): Promise<unknown> } {
    return this.unit;
  }

  /** Writes the change's domain event to the outbox, in this transaction. */
  recordEvent(event: NewImageEvent): Promise<void> {
    return this.events.record(this.unit, event);
  }

  private async select(
    table: string,
    columns: readonly string[],
    conditions: readonly [string, unknown][],
    options: { live?: boolean; lock?: 'update' },
  ): Promise<RawRow[]> {
    const [where, parameters] = this.where(conditions);
    const live = options.live === true ? ' AND deleted_at IS NULL' : '';
    const lock = options.lock === undefined || !this.unit.lockRows ? '' : ' FOR UPDATE';
    return (await this.unit.query(
      `SELECT ${columns.map((c) => this.quote(c)).join(', ')} FROM ${this.quote(table)} ` +
        `WHERE ${where}${live}${lock}`,
      parameters,
    )) as RawRow[];
  }

  private where(conditions: readonly [string, unknown][]): [string, unknown[]] {
    return [
      conditions.map(([column]) => `${this.quote(column)} = ?`).join(' AND '),
      conditions.map(([, value]) => value),
    ];
  }

  private run(sql: string, parameters: unknown[]): Promise<unknown> {
    return this.unit.query(sql, parameters);
  }

  private quote(identifier: string): string {
    return this.unit.quote(identifier);
  }
}

/**
 * The pivots' one way into a transaction: the unit of work's (SQLite write queue, deadlock retries,
 * change-version bumps), so links and images never write past each other; events go to the outbox
 * in it and reach the in-process listeners after the commit.
 */
@Injectable()
export class PivotRepository {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly events: ImageEventNotifier,
  ) {}

  write<T>(work: (transaction: PivotWriteTransaction) => Promise<T>): Promise<T> {
    return this.unitOfWork.run((unit) => work(new PivotWriteTransaction(unit, this.events)));
  }
}
