import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

/** The Redis server of the machine. */
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix that belongs to one test file only (its keys are deleted by `deleteKeys`). */
export function uniqueRedisPrefix(): string {
  return `image-api-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` on a Redis server. */
export async function deleteKeys(prefix: string, url: string = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function pingUntil(url: string, answers: boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 500,
      // Without it a refused connection leaves ioredis a 2 s timer that keeps Jest's worker alive.
      disconnectTimeout: 0,
    });
    redis.on('error', () => undefined);
    const answered = await redis
      .connect()
      .then(() => redis.ping())
      .then(
        () => true,
        () => false,
      );
    redis.disconnect();
    if (answered === answers) return;
    if (Date.now() > deadline) {
      throw new Error(`Redis at ${url} ${answers ? 'did not start' : 'did not stop'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A Redis server of a test's own (no persistence, loopback only), that the test can stop, pause
 * and start again on the same port (a `stablePort()`).
 */
export class OwnRedisServer {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'image-api-redis-'));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { cwd: this.dir, stdio: 'ignore' },
    );
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await pingUntil(this.url, true, 10_000);
  }

  /** Kills the server (its data goes with it): connections are refused until `start`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await pingUntil(this.url, false, 5_000);
  }

  /** Freezes the server: connections stay open but nothing answers (a silent network). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
