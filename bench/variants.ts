import { ChildProcess, execSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from 'jsonwebtoken';
import { Connection, createConnection } from 'mysql2/promise';
import { MysqlDatabaseConfig, parseConfig } from '../src/config/app-config';

/**
 * The servers of the benchmark, all on the same database: the service (`node dist/main.js`, as
 * `npm start` runs it, its response cache off), the ceiling (bare node:http + mysql2), the peer
 * (NestJS on Express + TypeORM + nestjs-paginate) and `cached`, the service with its response cache
 * on (on the scenarios that name it). All run compiled JavaScript (`buildServers`): under ts-node a
 * process also loads `node:repl`, which turns on `domain` for every EventEmitter, and holds the
 * TypeScript compiler in its heap — about 5 % of the ceiling's CPU per request, a handicap the
 * service does not carry. Secrets here are the benchmark's own, never a deployment's.
 */

export const ROOT = join(__dirname, '..');
export const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/image_api_bench';
export const JWT_SECRET = 'bench-only-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const CURSOR_SECRET = 'bench-only-cursor-secret-0123456789-abcdefghijklmn';

/** The value after `--name` among the command's arguments, or `fallback`. */
export function cliOption(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] !== undefined ? args[index + 1] : fallback;
}

/** The service variant a tool measures: `--variant cached` (its response cache on) or the service. */
export function serviceVariantOption(): 'service' | 'cached' {
  return cliOption('variant', 'service') === 'cached' ? 'cached' : 'service';
}

/** Whether `--name` is among the command's arguments. */
export function cliFlag(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`);
}

/** A token that may create and delete images on the bench's servers, for `lifetime`. */
export function benchToken(lifetime: '10m' | '4h'): string {
  return sign({ sub: 'bench', permissions: ['create image', 'delete image'] }, JWT_SECRET, {
    algorithm: 'HS256',
    expiresIn: lifetime,
  });
}

/** The bench database's settings, parsed as the service parses DATABASE_URL (MySQL/MariaDB only). */
export function benchDatabase(url: string = DATABASE_URL): MysqlDatabaseConfig {
  const database = parseConfig({ DATABASE_URL: url }).database;
  if (database.type !== 'mysql') throw new Error('BENCH_DATABASE_URL must be a mysql:// URL');
  return database;
}

/** A plain mysql2 connection to the bench server: in the bench database, or in none (`server`). */
export function connectToBench(
  database: MysqlDatabaseConfig,
  scope: 'database' | 'server' = 'database',
): Promise<Connection> {
  return createConnection({
    host: database.host,
    port: database.port,
    user: database.username,
    password: database.password,
    ...(scope === 'database' ? { database: database.database } : {}),
  });
}

/** `cached`: the service with its response cache on (RESPONSE_CACHE_MB=32); `service` has it off. */
export type VariantName = 'service' | 'cached' | 'ceiling' | 'peer';

export interface Variant {
  readonly name: VariantName;
  readonly port: number;
  readonly command: string[];
  readonly env: Record<string, string>;
  process?: ChildProcess;
}

/** The service's environment; `responseCacheMb` 0 turns its response cache off. */
export const serviceEnv = (
  port: number,
  logLevel: string,
  responseCacheMb: number,
  databaseUrl = DATABASE_URL,
): Record<string, string> => ({
  PORT: String(port),
  RESPONSE_CACHE_MB: String(responseCacheMb),
  DATABASE_URL: databaseUrl,
  DB_MIGRATE: 'false',
  RATE_LIMIT_PER_MINUTE: '0',
  // The daily prune's first run, 5 minutes after start, would force-delete the bench's trashed
  // images in the middle of a load (and make the next run re-seed).
  PRUNE_TRASHED_AFTER_DAYS: '0',
  LOG_LEVEL: logLevel,
  JWT_SECRET,
  CURSOR_SECRET,
  NODE_ENV: 'production',
});

/** Compiles the service (`dist/`) and the ceiling and peer (`dist-bench/`, tsconfig.bench.json). */
export function buildServers(): void {
  execSync('npm run build && npm run build:bench', { cwd: ROOT, stdio: 'inherit' });
}

/** `npm start` without npm (`node --max-old-space-size=… dist/main.js`), as package.json has it. */
export function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.split(/\s+/);
}

/**
 * The service runs at LOG_LEVEL=info by default, the production default (one access-log line per
 * request, to stdout, dropped here as a log shipper would take it); `--service-log-level` changes it.
 */
export function variants(serviceLogLevel = 'info'): Variant[] {
  // BENCH_PORT_BASE: another four ports, for a smoke run beside a bench that holds 3100–3103.
  const base = Number(process.env.BENCH_PORT_BASE ?? 3100);
  return [
    {
      name: 'service',
      port: base,
      command: startCommand(),
      env: serviceEnv(base, serviceLogLevel, 0),
    },
    {
      name: 'ceiling',
      port: base + 1,
      command: ['node', 'dist-bench/bench/ceiling-server.js'],
      env: {
        CEILING_PORT: String(base + 1),
        BENCH_DATABASE_URL: DATABASE_URL,
        JWT_SECRET,
        CURSOR_SECRET,
      },
    },
    {
      name: 'peer',
      port: base + 2,
      command: ['node', 'dist-bench/bench/peer/peer-server.js'],
      env: { PEER_PORT: String(base + 2), BENCH_DATABASE_URL: DATABASE_URL },
    },
    // Last: check-parity.ts takes the first two.
    {
      name: 'cached',
      port: base + 3,
      command: startCommand(),
      env: serviceEnv(base + 3, serviceLogLevel, 32),
    },
  ];
}

export async function waitForPort(
  port: number,
  path: string,
  timeoutMs = 60_000,
  process?: ChildProcess,
): Promise<void> {
  for (let attempt = 0; attempt < timeoutMs / 500; attempt++) {
    if (process !== undefined && process.exitCode !== null) {
      throw new Error(`the server for port ${port} exited (${process.exitCode})`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`nothing answered on port ${port}`);
}

/**
 * Starts the variants (their stdout is dropped, stderr shown) and waits until each answers, for at
 * most `timeoutMs` each.
 */
export async function startVariants(
  list: Variant[],
  extraNodeOptions = '',
  timeoutMs?: number,
): Promise<void> {
  for (const variant of list) {
    const [command, ...args] = variant.command;
    variant.process = spawn(command, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        ...variant.env,
        ...(extraNodeOptions === '' ? {} : { NODE_OPTIONS: extraNodeOptions }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  for (const variant of list) {
    await waitForPort(variant.port, '/api/image/1', timeoutMs, variant.process);
  }
}

/** Stops the variants it started (SIGTERM, by their own process ids). */
export async function stopVariants(list: Variant[]): Promise<void> {
  await Promise.all(
    list.map(
      (variant) =>
        new Promise<void>((resolve) => {
          const child = variant.process;
          if (child === undefined || child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** The resident set size of a process, in MB, from /proc (0 when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * `rounds` rounds of one `measure` per server, in an order turned by one each round (as the bench
 * runs them), so no server is always the first after the warm-up.
 */
export async function inAlternatingRounds<T>(
  servers: readonly T[],
  rounds: number,
  measure: (server: T, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < servers.length; turn++) {
      await measure(servers[(turn + round) % servers.length], round);
    }
  }
}
