import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURSOR_SECRET_FILE, cursorSecretOf } from './cursor-secret';

describe('cursorSecretOf', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cursor-secret-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should use CURSOR_SECRET when it is set, and write no file', () => {
    expect(cursorSecretOf({ cursorSecret: 'c'.repeat(32), dataDir })).toBe('c'.repeat(32));
    expect(() => statSync(join(dataDir, CURSOR_SECRET_FILE))).toThrow();
  });

  it('should generate a secret into the data folder once (mode 0600) and read it back after', () => {
    const first = cursorSecretOf({ dataDir });
    expect(first).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const path = join(dataDir, CURSOR_SECRET_FILE);
    expect(readFileSync(path, 'utf8').trim()).toBe(first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(cursorSecretOf({ dataDir })).toBe(first);
  });
});
