import type { WriteTransaction } from '../database/unit-of-work';
import type { ImageFacet } from './image-facet';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';
import type { ImageRow } from './image.serializer';

/** The pivot tables that hold `image_id` (one per include); force delete empties them with the image. */
export const IMAGE_PIVOT_TABLES = IMAGE_QUERY_SCHEMA.includes.map((include) => include.pivotTable);

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

/** The columns of `ImageChanges`. */
const CHANGE_COLUMNS: Record<keyof ImageChanges, string> = {
  path: 'path',
  facet: 'facet',
  updatedAt: 'updated_at',
  deletedAt: 'deleted_at',
};

const SELECT_ROW =
  'SELECT image_id, path, facet, created_at, updated_at, deleted_at FROM images WHERE image_id = ?';

function toStoredRow(row: StoredImageRow): StoredImageRow {
  return {
    image_id: Number(row.image_id),
    path: row.path,
    facet: Number(row.facet),
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at ?? null,
  };
}

/**
 * The image statements of one unit-of-work transaction; rows read through it stay locked (MySQL).
 * Plain SQL that both databases read alike (TypeORM's query builders cost a write more than its
 * statements do: docs/PERFORMANCE.md); `test/image-write-statements.e2e-spec.ts` pins it.
 */
export class ImageWriteTransaction {
  constructor(readonly unit: WriteTransaction) {}

  /** The row, locked for the rest of the transaction; trashed rows only when `withTrashed`. */
  async findForUpdate(
    id: number,
    options: { withTrashed: boolean },
  ): Promise<StoredImageRow | null> {
    let sql = options.withTrashed ? SELECT_ROW : `${SELECT_ROW} AND deleted_at IS NULL`;
    if (this.unit.lockRows) sql += ' FOR UPDATE';
    const [row] = (await this.unit.execute(sql, [id])) as StoredImageRow[];
    return row === undefined ? null : toStoredRow(row);
  }

  /** Inserts a live image stamped `now`; returns its id. */
  insert(values: { path: string; facet: ImageFacet }, now: string): Promise<number> {
    this.unit.changed('images');
    return this.unit.insert(
      'INSERT INTO images (path, facet, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, NULL)',
      [values.path, values.facet, now, now],
    );
  }

  async update(id: number, changes: ImageChanges): Promise<void> {
    this.unit.changed('images');
    const fields = (Object.keys(changes) as (keyof ImageChanges)[]).filter(
      (field) => changes[field] !== undefined,
    );
    await this.unit.execute(
      `UPDATE images SET ${fields.map((field) => `${CHANGE_COLUMNS[field]} = ?`).join(', ')} WHERE image_id = ?`,
      [...fields.map((field) => changes[field] ?? null), id],
    );
  }

  /** Deletes the image and, explicitly (foreign keys may be off on SQLite), its pivot rows. */
  async deleteWithPivots(id: number): Promise<void> {
    this.unit.changed('images', ...IMAGE_PIVOT_TABLES);
    for (const table of IMAGE_PIVOT_TABLES) {
      await this.unit.execute(`DELETE FROM ${table} WHERE image_id = ?`, [id]);
    }
    await this.unit.execute('DELETE FROM images WHERE image_id = ?', [id]);
  }
}
