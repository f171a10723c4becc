import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptsConnections } from './ports';

/**
 * A NATS server with JetStream that a test owns (`nats-server -js -p PORT -sd DIR`), on a port of
 * its own (a `stablePort()`), so it can stop the broker and start it again on the same port and
 * store.
 */
export class OwnNatsServer {
  private process?: ChildProcess;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'image-api-nats-'));

  /** `args`: more of nats-server's options (`--user`, `--pass`...). */
  constructor(
    readonly port: number,
    private readonly args: readonly string[] = [],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the server and resolves once it accepts connections. */
  async start(): Promise<void> {
    const child = spawn(
      'nats-server',
      ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir, ...this.args],
      { stdio: 'ignore' },
    );
    this.process = child;
    const deadline = Date.now() + 15_000;
    while (!(await acceptsConnections(this.port))) {
      if (child.exitCode !== null) {
        throw new Error(`nats-server on port ${this.port} exited with ${child.exitCode}`);
      }
      if (Date.now() > deadline) throw new Error(`nats-server did not start on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the server (as a crash would) and resolves once it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops the server and removes its store. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
