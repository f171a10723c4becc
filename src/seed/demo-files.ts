import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { StorageDriver } from '../storage';
import { bumpChangeVersions } from '../database/change-versions';
import { encodePng } from '../storage/png-encoder';

/** The demo images that get a real file: the first page of `GET /api/image`. */
export const DEMO_FILE_COUNT = 15;
const WIDTH = 240;
const HEIGHT = 336;

/** HSL to RGB (hue in degrees, saturation and lightness 0-1). */
function hsl(hue: number, saturation: number, lightness: number): [number, number, number] {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [channel(0), channel(8), channel(4)];
}

/**
 * A small cover-shaped picture, different for each `seed`: a diagonal gradient between two hues
 * with a disc, so that each demo link shows something recognisable.
 */
export function demoPicture(seed: number): Buffer {
  const hue = (seed * 47) % 360;
  const [cx, cy, radius] = [WIDTH * 0.5, HEIGHT * 0.42, WIDTH * 0.28];
  const disc = hsl((hue + 180) % 360, 0.7, 0.85);
  // The gradient depends on x + y only: one colour per diagonal.
  const diagonals = Array.from({ length: WIDTH + HEIGHT }, (_, sum) => {
    const t = sum / (WIDTH + HEIGHT);
    return hsl((hue + t * 60) % 360, 0.65, 0.3 + t * 0.3);
  });
  return encodePng(WIDTH, HEIGHT, (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2 ? disc : diagonals[x + y],
  );
}

/** The image's path with a `.png` extension: the file is a PNG now. */
function pngPath(path: string): string {
  return /\.[A-Za-z0-9]+$/.test(path) ? path.replace(/\.[A-Za-z0-9]+$/, '.png') : `${path}.png`;
}

/**
 * Gives the first `DEMO_FILE_COUNT` live demo images a generated PNG in storage and points their
 * `path` at it (same folder and name, `.png`), so that with `IMAGE_BASE_URL` set to the service's
 * `/storage/images` the first page's links open pictures. Returns how many files it stored.
 */
export async function storeDemoFiles(
  dataSource: DataSource,
  storage: StorageDriver,
): Promise<number> {
  const rows = await dataSource.query<{ image_id: number | string; path: string }[]>(
    `SELECT image_id, path FROM images WHERE deleted_at IS NULL ORDER BY image_id LIMIT ${DEMO_FILE_COUNT}`,
  );
  for (const row of rows) {
    const content = demoPicture(Number(row.image_id));
    const path = pngPath(row.path);
    await storage.put(path, Readable.from([content]), {
      maxBytes: content.length,
      contentType: 'image/png',
    });
    await dataSource.query('UPDATE images SET path = ? WHERE image_id = ?', [path, row.image_id]);
  }
  await bumpChangeVersions(dataSource, ['images']);
  return rows.length;
}
