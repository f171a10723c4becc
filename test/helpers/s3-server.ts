import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acceptsConnections } from './ports';

/** s3rver's fixed credentials, given to the AWS SDK through its usual environment variables. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

const S3RVER = join(__dirname, '..', '..', 'node_modules', 's3rver', 'bin', 's3rver.js');

/**
 * A real S3-protocol server (`s3rver`, in a process of its own) on a port of its own (a
 * `stablePort()`), with one bucket. `stop()` kills it outright and `start()` brings it
 * back on the same port with the same data, so a test can take the store away mid-operation.
 */
export class S3TestServer {
  private process?: ChildProcess;
  private readonly directory = mkdtempSync(join(tmpdir(), 'image-api-s3rver-'));

  constructor(
    readonly port: number,
    readonly bucket = 'image-api-test',
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (await acceptsConnections(this.port)) throw new Error(`port ${this.port} is already taken`);
    const child = spawn(
      process.execPath,
      [S3RVER, '-d', this.directory, '-a', '127.0.0.1', '-p', String(this.port), '-s'].concat([
        '--configure-bucket',
        this.bucket,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    this.process = child;
    for (let attempt = 0; attempt < 200; attempt++) {
      if (child.exitCode !== null) throw new Error(`s3rver exited: ${errors}`);
      if (await acceptsConnections(this.port)) return;
      await sleep(50);
    }
    throw new Error(`s3rver did not answer on port ${this.port}: ${errors}`);
  }

  /** Kills the server (SIGKILL: no goodbye to open connections) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** Stops the server and removes its data. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
