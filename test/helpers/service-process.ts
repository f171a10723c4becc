import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Every process started here, killed when the test process ends however it ends. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * The real service as `npm start` runs it (`src/main.ts`, compiled on the fly by ts-node), in a
 * fresh working directory (no `.env` to pick up) with only the given variables.
 */
export class ServiceProcess {
  readonly output = { stdout: '', stderr: '' };
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'image-api-service-'));
  private exit?: Exit;

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'src/main.ts')],
      {
        cwd: this.dir,
        env: {
          PATH: process.env.PATH ?? '',
          TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
          LOG_LEVEL: 'warn',
          DATA_DIR: join(this.dir, 'data'),
          PORT: String(port),
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    running.add(this.child);
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output.stderr += chunk.toString()));
    this.exited = new Promise((done) =>
      this.child.once('exit', (code, signal) => {
        running.delete(this.child);
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.exit === undefined;
  }

  /** Resolves once GET /health/ready answers 200; fails if the process ends or time runs out. */
  async ready(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit !== undefined) {
        throw new Error(`${this.name} exited during start-up: ${this.output.stderr}`);
      }
      try {
        const response = await fetch(`${this.url}/health/ready`);
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.name} was not ready within ${timeoutMs} ms: ${this.output.stderr}`);
      }
      await new Promise((wait) => setTimeout(wait, 200));
    }
  }

  /** Sends a signal (SIGKILL: the process dies at once, mid-request) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.exit === undefined) this.child.kill(signal);
    return this.exited;
  }

  /** Kills the process if it still runs and removes its working directory. */
  async close(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
