import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SPOOL_FILE_PREFIX } from '../src/storage';
import { STALE_PART_MS } from '../src/storage/stale-uploads';
import { createTestApp, type TestApp } from './helpers/test-app';
import { waitFor } from './helpers/wait-for';

/**
 * Temporary files of uploads a stopped process left behind (found by a probe: after a SIGTERM that
 * closed an upload in flight, or a SIGKILL, they stayed for ever, also across restarts): the next
 * start removes those old enough to belong to no upload, in STORAGE_DIR/.uploads and in the
 * system's temporary folder, and leaves recent ones (another instance's uploads in flight).
 */
describe('temporary files of unfinished uploads, at start', () => {
  let storageDir: string;
  let testApp: TestApp | undefined;
  const id = randomUUID();
  const spooled = (age: string) => join(tmpdir(), `${SPOOL_FILE_PREFIX}${id}-${age}.part`);

  /** Writes a file last touched `ageMs` ago. */
  const leave = (path: string, ageMs: number) => {
    writeFileSync(path, 'half an image');
    const when = new Date(Date.now() - ageMs);
    utimesSync(path, when, when);
  };

  beforeAll(() => {
    storageDir = mkdtempSync(join(tmpdir(), 'image-api-stale-'));
    mkdirSync(join(storageDir, '.uploads'));
    leave(join(storageDir, '.uploads', 'old.part'), STALE_PART_MS + 60_000);
    leave(join(storageDir, '.uploads', 'recent.part'), 1_000);
    leave(spooled('old'), STALE_PART_MS + 60_000);
    leave(spooled('recent'), 1_000);
  });

  afterAll(async () => {
    await testApp?.close();
    rmSync(storageDir, { recursive: true, force: true });
    rmSync(spooled('old'), { force: true });
    rmSync(spooled('recent'), { force: true });
  });

  it('should remove the old ones and keep the recent ones', async () => {
    testApp = await createTestApp('sqlite', { env: { STORAGE_DIR: storageDir } });
    await waitFor(
      'the old temporary files to go',
      () => !existsSync(join(storageDir, '.uploads', 'old.part')) && !existsSync(spooled('old')),
    );
    expect(existsSync(join(storageDir, '.uploads', 'recent.part'))).toBe(true);
    expect(existsSync(spooled('recent'))).toBe(true);
  });
});
