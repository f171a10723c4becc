import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFromEnvironment } from './load-env';

describe('loadConfigFromEnvironment', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'image-api-env-'));
    writeFileSync(
      join(dir, '.env'),
      '# a comment\nPORT=4501\nexport LOG_LEVEL="warn"\nDATA_DIR=./from-env-file\n',
    );
    for (const name of ['PORT', 'LOG_LEVEL', 'DATA_DIR', 'DATABASE_URL']) delete process.env[name];
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('should read .env, and let a variable of the real environment win', () => {
    process.env.PORT = '5000';
    const config = loadConfigFromEnvironment(dir);
    expect(config.port).toBe(5000);
    expect(config.logLevel).toBe('warn');
  });

  // Found by a probe: dotenv keeps a variable that is set, even empty, and an empty one counts as
  // unset: `PORT=` (compose's `${PORT:-}`) hid the file's 4501, and the service took 3000.
  it.each(['', '   '])('should take the .env value of a variable set to %j', (empty) => {
    process.env.PORT = empty;
    expect(loadConfigFromEnvironment(dir).port).toBe(4501);
    expect(process.env.PORT).toBe('4501');
  });
});
