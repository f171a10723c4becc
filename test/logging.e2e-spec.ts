import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LOG_FLUSH_INTERVAL_MS } from '../src/common/logger.options';

const ROOT = join(__dirname, '..');

interface LoggedRun {
  /** stdout as it arrived, with the time (ms after the start) of each chunk. */
  readonly chunks: { at: number; text: string }[];
  /** When the process exited (ms after the start). */
  readonly exitedAt: number;
  readonly code: number | null;
}

/**
 * Runs a script in a process of its own with `appLogger` (the service's logger) in scope, and
 * records when each piece of its stdout arrived.
 */
function runWithLogger(script: string): Promise<LoggedRun> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '-r',
      require.resolve('ts-node/register/transpile-only'),
      '-e',
      `const { appLogger } = require(${JSON.stringify(join(ROOT, 'src/common/logger.options'))});
       const logger = appLogger({ logLevel: 'info' });
       ${script}`,
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    },
  );
  const chunks: { at: number; text: string }[] = [];
  child.stdout.on('data', (chunk: Buffer) =>
    chunks.push({ at: Date.now() - started, text: chunk.toString() }),
  );
  return new Promise((done) =>
    child.on('exit', (code) => done({ chunks, exitedAt: Date.now() - started, code })),
  );
}

function lines(run: LoggedRun): Record<string, unknown>[] {
  return run.chunks
    .map((chunk) => chunk.text)
    .join('')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * stdout is written a few kilobytes at a time (logger.options.ts): a line must still leave within
 * the flush interval on a quiet service, and nothing may be lost when the process exits.
 */
describe('log lines on stdout', () => {
  it('should write the lines logged just before process.exit, in order', async () => {
    const run = await runWithLogger(`
      for (let n = 1; n <= 3; n++) logger.info({ n }, 'last words');
      process.exit(0);`);
    expect(run.code).toBe(0);
    expect(lines(run).map(({ n, msg, level }) => ({ n, msg, level }))).toEqual([
      { n: 1, msg: 'last words', level: 30 },
      { n: 2, msg: 'last words', level: 30 },
      { n: 3, msg: 'last words', level: 30 },
    ]);
  });

  it('should write a lone line within the flush interval, long before the process ends', async () => {
    const run = await runWithLogger(`
      logger.warn({ n: 1 }, 'quiet');
      setTimeout(() => process.exit(0), ${LOG_FLUSH_INTERVAL_MS * 4});`);
    expect(lines(run).map(({ n, msg, level }) => ({ n, msg, level }))).toEqual([
      { n: 1, msg: 'quiet', level: 40 },
    ]);
    // It arrived while the process still had at least two intervals to live.
    expect(run.chunks[0].at).toBeLessThan(run.exitedAt - LOG_FLUSH_INTERVAL_MS * 2);
  });

  it('should write 4,000 lines, each whole and once, in order', async () => {
    const run = await runWithLogger(`
      for (let n = 1; n <= 4000; n++) logger.info({ n }, 'busy');
      process.exit(0);`);
    expect(lines(run).map(({ n }) => n)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
  });
});
