import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sign } from 'jsonwebtoken';
import { pngFile } from '../src/storage/testing/image-files';
import { type FormPart, multipartForm } from '../src/storage/testing/multipart-form';
import { cliFlag, cliOption, JWT_SECRET, ROOT } from './variants';

/**
 * `npm run bench:upload-memory`: does an upload stream, or does it sit in memory? Starts the built
 * service (`node dist/main.js`, embedded SQLite, local driver, in a temporary DATA_DIR) on port
 * 35150, uploads one file to warm it up, then sends `--uploads` (20) uploads of a `--mib` (9) MiB
 * PNG at once; once with the facet before the file (streamed to the store) and once, on a fresh
 * service, after it (kept in a temporary file until the facet is read). It samples the service's resident memory (VmRSS) every
 * 10 ms and prints the growth over the warm baseline; the goal is under `--limit` (50) MB, and the
 * exit code says whether it was met. Every upload must be a 201 and leave its whole file.
 */

const PORT = Number(cliOption('port', '35150'));
const UPLOADS = Number(cliOption('uploads', '20'));
const MIB = Number(cliOption('mib', '9'));
const LIMIT_MB = Number(cliOption('limit', '50'));

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error('no VmRSS');
  return Number(match[1]) * 1024;
}

function send(form: { body: Buffer; contentType: string }, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: '127.0.0.1',
        port: PORT,
        path: '/api/image',
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': form.contentType,
          'Content-Length': form.body.length,
          Authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    call.on('error', reject);
    call.end(form.body);
  });
}

async function waitForReady(): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const ready = await new Promise<boolean>((resolve) => {
      request({ host: '127.0.0.1', port: PORT, path: '/health/ready' }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      })
        .on('error', () => resolve(false))
        .end();
    });
    if (ready) return;
    await sleep(100);
  }
  throw new Error('the service did not become ready');
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter(
    (entry) => entry.isFile() && !entry.parentPath.includes('.uploads'),
  ).length;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

interface Scenario {
  readonly name: string;
  readonly form: { body: Buffer; contentType: string };
}

/** One scenario on a fresh service: the RSS growth (bytes) of `UPLOADS` concurrent uploads. */
async function measure(scenario: Scenario, token: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'image-api-upload-memory-'));
  const service = spawn(
    process.execPath,
    ['--max-old-space-size=256', join(ROOT, 'dist/main.js')],
    {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(PORT),
        DATA_DIR: dataDir,
        DEMO_DATA: 'false',
        JWT_SECRET,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    await waitForReady();
    // One upload first, so that what loads on first use (file-type, the multipart parser) is loaded.
    if ((await send(scenario.form, token)) !== 201) throw new Error('the warm-up upload failed');
    await sleep(500);
    const baseline = rssBytes(service.pid!);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(service.pid!));
    }, 10);
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: UPLOADS }, () => send(scenario.form, token)),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssBytes(service.pid!));
    const stored = countFiles(join(dataDir, 'images'));
    if (statuses.some((status) => status !== 201) || stored !== UPLOADS + 1) {
      throw new Error(`uploads answered ${statuses.join(',')} and left ${stored} files`);
    }
    console.log(
      `${scenario.name}: RSS ${mb(baseline)} -> peak ${mb(peak)} MB, growth ${mb(peak - baseline)} MB; ` +
        `${UPLOADS} x 201 in ${seconds.toFixed(1)} s`,
    );
    return peak - baseline;
  } finally {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!cliFlag('no-build')) execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });
  const token = sign({ sub: 'bench', permissions: ['create image'] }, JWT_SECRET, {
    algorithm: 'HS256',
    expiresIn: '10m',
  });
  const side = Math.ceil(Math.sqrt((MIB * 1024 * 1024) / 3));
  const picture = pngFile(side, side, 0);
  const facet: FormPart = { name: 'facet', value: 'Cover' };
  const file: FormPart = { name: 'file', content: picture };
  const scenarios: Scenario[] = [
    { name: 'facet first (streamed to the store)', form: multipartForm([facet, file]) },
    { name: 'file first (through a temporary file)', form: multipartForm([file, facet]) },
  ];
  console.log(
    `${UPLOADS} concurrent uploads of a ${mb(picture.length)} MiB PNG, each on a fresh service; ` +
      `goal: RSS growth under ${LIMIT_MB} MB`,
  );
  let met = true;
  for (const scenario of scenarios) {
    met = (await measure(scenario, token)) < LIMIT_MB * 1024 * 1024 && met;
  }
  console.log(met ? 'goal met' : 'goal NOT met');
  process.exitCode = met ? 0 : 1;
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
