import type { DataSource } from 'typeorm';
import { entityColumns } from '../../src/database/table-columns';
import { Image } from '../../src/image/image.entity';
import { IMAGE_PIVOT_TABLES } from '../../src/image/image-write.transaction';

/** An `images` row as the tests read it back with plain SQL. */
export interface ImageRecord {
  image_id: number;
  path: string;
  facet: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** The columns of `images`, from the entity (one description of the table). */
const IMAGE_COLUMNS = entityColumns(Image) as (keyof ImageRecord)[];

export const OLD_TIMESTAMP = '2024-01-15 12:00:00.000000';

/**
 * Inserts an image with plain SQL and fixed old timestamps; its id is the next free one unless
 * given (explicit, so the tests know it without asking the driver).
 */
export async function insertImageRow(
  dataSource: DataSource,
  row: Partial<ImageRecord> = {},
): Promise<ImageRecord> {
  const rows: { next: number | string }[] = await dataSource.query(
    'SELECT COALESCE(MAX(image_id), 0) + 1 AS next FROM images',
  );
  const id = row.image_id ?? Number(rows[0].next);
  const record: ImageRecord = {
    image_id: id,
    path: `images/${id}.jpg`,
    facet: 1,
    created_at: OLD_TIMESTAMP,
    updated_at: OLD_TIMESTAMP,
    deleted_at: null,
    ...row,
  };
  await dataSource.query(
    `INSERT INTO images (${IMAGE_COLUMNS.join(', ')}) VALUES (${IMAGE_COLUMNS.map(() => '?').join(', ')})`,
    IMAGE_COLUMNS.map((column) => record[column]),
  );
  return record;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, however the driver returned it. */
function timestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '000');
  return String(value);
}

/** The row as stored, or undefined when it is gone. */
export async function readImageRow(
  dataSource: DataSource,
  id: number,
): Promise<ImageRecord | undefined> {
  const rows: Record<string, unknown>[] = await dataSource.query(
    `SELECT ${IMAGE_COLUMNS.join(', ')} FROM images WHERE image_id = ?`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    image_id: Number(row.image_id),
    path: String(row.path),
    facet: Number(row.facet),
    created_at: timestamp(row.created_at),
    updated_at: timestamp(row.updated_at),
    deleted_at: row.deleted_at === null ? null : timestamp(row.deleted_at),
  };
}

export async function countRows(
  dataSource: DataSource,
  table: string,
  where = '1 = 1',
): Promise<number> {
  const rows: { total: number | string }[] = await dataSource.query(
    `SELECT COUNT(*) AS total FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0].total);
}

/** `2024-01-15 12:00:00.5` → `2024-01-15T12:00:00.500000Z`, as the API renders it. */
export function rendered(value: string): string {
  const [date, time] = value.split(' ');
  const [clock, fraction = ''] = time.split('.');
  return `${date}T${clock}.${fraction.padEnd(6, '0')}Z`;
}

const PIVOTS: Record<string, { table: string; key: string; extra: Record<string, unknown> }> = {
  anime_image: { table: 'anime', key: 'anime_id', extra: { name: 'Anime', slug: 'anime' } },
  artist_image: { table: 'artists', key: 'artist_id', extra: { name: 'Artist', slug: 'artist' } },
  studio_image: { table: 'studios', key: 'studio_id', extra: { name: 'Studio', slug: 'studio' } },
  playlist_image: {
    table: 'playlists',
    key: 'playlist_id',
    extra: { name: 'Playlist', hashid: 'hash', visibility: 0 },
  },
};

/**
 * Gives image `imageId` one related row of every type (related id `relatedId`), with plain SQL:
 * anime, artist, studio and playlist rows plus the four pivot rows.
 */
export async function attachEveryRelation(
  dataSource: DataSource,
  imageId: number,
  relatedId: number,
): Promise<void> {
  for (const [pivot, { table, key, extra }] of Object.entries(PIVOTS)) {
    const existing = await countRows(dataSource, table, `${key} = ${relatedId}`);
    if (existing === 0) {
      const values: Record<string, unknown> = {
        [key]: relatedId,
        ...Object.fromEntries(
          Object.entries(extra).map(([column, value]) => [
            column,
            typeof value === 'string' ? `${value}-${relatedId}` : value,
          ]),
        ),
        created_at: OLD_TIMESTAMP,
        updated_at: OLD_TIMESTAMP,
      };
      const columns = Object.keys(values);
      await dataSource.query(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        Object.values(values),
      );
    }
    await dataSource.query(
      `INSERT INTO ${pivot} (${key}, image_id, created_at, updated_at) VALUES (?, ?, ?, ?)`,
      [relatedId, imageId, OLD_TIMESTAMP, OLD_TIMESTAMP],
    );
  }
}

/** Pivot rows pointing at an image, per pivot table. */
export async function pivotCounts(
  dataSource: DataSource,
  imageId: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const pivot of IMAGE_PIVOT_TABLES) {
    counts[pivot] = await countRows(dataSource, pivot, `image_id = ${imageId}`);
  }
  return counts;
}
