import type { WriteTransaction } from '../database/unit-of-work';
import type { ImageFacet } from './image-facet';
import { Image } from './image.entity';
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

/** The image statements of one unit-of-work transaction; rows read through it stay locked (MySQL). */
export class ImageWriteTransaction {
  constructor(readonly unit: WriteTransaction) {}

  private get manager() {
    return this.unit.manager;
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
    if (this.unit.lockRows) query.setLock('pessimistic_write');
    const image = await query.getOne();
    return image === null ? null : toStoredRow(image);
  }

  /** Inserts a live image stamped `now`; returns its id. */
  async insert(values: { path: string; facet: ImageFacet }, now: string): Promise<number> {
    this.unit.changed('images');
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(Image)
      .values({ ...values, createdAt: now, updatedAt: now, deletedAt: null })
      .execute();
    return Number((result.identifiers[0] as { imageId: number }).imageId);
  }

  async update(id: number, changes: ImageChanges): Promise<void> {
    this.unit.changed('images');
    await this.manager
      .createQueryBuilder()
      .update(Image)
      .set(changes)
      .where('image_id = :id', { id })
      .execute();
  }

  /** Deletes the image and, explicitly (foreign keys may be off on SQLite), its pivot rows. */
  async deleteWithPivots(id: number): Promise<void> {
    this.unit.changed('images', ...IMAGE_PIVOT_TABLES);
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
