import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The real process (`src/main.ts`, compiled on the fly), as `npm start` runs it, for the tests of
 * start-up and shutdown.
 */
const ROOT = resolve(__dirname, '..', '..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** What the process wrote so far (stdout goes to a file, read on each look). */
  readonly output: { readonly stdout: string; readonly stderr: string };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ServiceProcess[] = [];
const tempDirs: string[] = [];

/** A temporary folder, removed by `cleanUpServices()`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-process-'));
  tempDirs.push(dir);
  return dir;
}

/**
 * Runs the service from an empty working directory (no `.env` to pick up) with only the given
 * variables, so the developer's environment can't leak in.
 */
export function startService(env: Record<string, string>): ServiceProcess {
  const cwd = tempDir();
  // Stdout into a file, not a pipe: the service writes its log synchronously, and a pipe that
  // a busy test process drains late would stall the service's event loop on a full pipe.
  const stdoutPath = join(cwd, 'stdout.log');
  const stdoutFile = openSync(stdoutPath, 'w');
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'src/main.ts')],
    {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', stdoutFile, 'pipe'],
    },
  );
  closeSync(stdoutFile);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const output = {
    get stdout() {
      return readFileSync(stdoutPath, 'utf8');
    },
    get stderr() {
      return stderr;
    },
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const service = { child, output, exited };
  started.push(service);
  return service;
}

/** Kills what is still running (by its own pid) and removes the temporary folders. */
export async function cleanUpServices(): Promise<void> {
  for (const service of started) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function httpGet(port: number, path: string): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () =>
        done({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: JSON.parse(text),
        }),
      );
    });
    request.on('error', fail);
  });
}

/** Polls until the service answers GET /health/ready (or fails if the process ends first). */
export async function waitUntilReady(service: ServiceProcess, port: number): Promise<void> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the service exited during start-up: ${service.output.stderr}`);
    try {
      await httpGet(port, '/health/ready');
      return;
    } catch {
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
}
