import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * `mkdir -p`, one folder at a time below the nearest one that exists. Node 20's own recursive
 * `mkdir` loops for ever where `mkdir` answers ENOENT under a folder that exists (`/proc/nope`):
 * start-up spun at 80 % of a core, deaf to SIGTERM, and an upload waited for good (found by a
 * probe). Here any such answer is an error naming its path.
 */
export function makeFolderSync(path: string): void {
  const missing: string[] = [];
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    try {
      statSync(folder);
      break;
    } catch (error) {
      if (codeOf(error) !== 'ENOENT' || dirname(folder) === folder) throw error;
      missing.push(folder);
    }
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error;
    }
  }
}

/** `makeFolderSync`, without blocking the event loop. */
export async function makeFolder(path: string): Promise<void> {
  const missing: string[] = [];
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    try {
      await stat(folder);
      break;
    } catch (error) {
      if (codeOf(error) !== 'ENOENT' || dirname(folder) === folder) throw error;
      missing.push(folder);
    }
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error;
    }
  }
}
