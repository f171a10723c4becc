import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleParts, STALE_PART_MS } from './stale-uploads';

describe('removeStaleParts', () => {
  let folder: string;
  const now = Date.now();
  /** A file (or folder) last written `ageMs` before now. */
  const make = (name: string, ageMs: number, kind: 'file' | 'folder' = 'file') => {
    const path = join(folder, name);
    if (kind === 'folder') mkdirSync(path);
    else writeFileSync(path, 'partial');
    const when = new Date(now - ageMs);
    utimesSync(path, when, when);
  };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'stale-parts-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('should remove only the .part files with the prefix, older than the limit', async () => {
    const old = STALE_PART_MS + 60_000;
    make('image-api-upload-old.part', old);
    make('image-api-upload-fresh.part', 60_000);
    make('image-api-upload-old.txt', old);
    make('someone-else-old.part', old);
    make('image-api-upload-folder.part', old, 'folder');
    symlinkSync(
      join(folder, 'image-api-upload-old.txt'),
      join(folder, 'image-api-upload-link.part'),
    );

    expect(await removeStaleParts(folder, 'image-api-upload-', STALE_PART_MS, now)).toBe(1);
    expect(readdirSync(folder).sort()).toEqual([
      'image-api-upload-folder.part',
      'image-api-upload-fresh.part',
      'image-api-upload-link.part',
      'image-api-upload-old.txt',
      'someone-else-old.part',
    ]);
  });

  it('should take every .part file with an empty prefix, and find none in a missing folder', async () => {
    make('a.part', STALE_PART_MS + 1);
    make('b.part', STALE_PART_MS + 1);
    expect(await removeStaleParts(folder, '', STALE_PART_MS, now)).toBe(2);
    expect(readdirSync(folder)).toEqual([]);
    expect(await removeStaleParts(join(folder, 'missing'), '', STALE_PART_MS, now)).toBe(0);
  });
});
