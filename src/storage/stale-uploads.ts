import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The names of spooled uploads (image-upload.reader.ts) in the system's temporary folder. */
export const SPOOL_FILE_PREFIX = 'image-api-upload-';

/**
 * A `.part` file not written to for this long belongs to no upload: a whole request is bounded to
 * 30 s (API.md section 10), so it was left by a process that stopped mid-upload.
 */
export const STALE_PART_MS = 10 * 60 * 1000;

/**
 * Removes the `.part` files in `folder` whose names start with `prefix` and that were last written
 * more than `maxAgeMs` before `now`; returns how many. A missing folder holds none; a file that
 * vanishes or can't be removed meanwhile is left to the next sweep.
 */
export async function removeStaleParts(
  folder: string,
  prefix: string,
  maxAgeMs: number = STALE_PART_MS,
  now: number = Date.now(),
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.part')) continue;
    const file = join(folder, name);
    try {
      const info = await lstat(file);
      if (!info.isFile() || now - info.mtimeMs <= maxAgeMs) continue;
      await rm(file);
      removed += 1;
    } catch {
      // Gone meanwhile, or not ours to remove: the next sweep looks again.
    }
  }
  return removed;
}
