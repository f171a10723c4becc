/**
 * `npm run soak`: the service under a steady mixed load for a long time (issue 19), to see what a
 * short benchmark cannot: errors that come with time, memory that creeps, latency that drifts.
 *
 * 1. Seeds (or reuses) a MariaDB database of its own, SOAK_DATABASE_URL (default
 *    mysql://root@127.0.0.1:3306/image_api_soak), with the benchmark's data set, and builds and
 *    starts the service as `npm start` runs it (on port 34150, RATE_LIMIT_PER_MINUTE=0).
 * 2. Measures the maximum: the mix unthrottled for --probe-seconds (20) on --connections (32).
 * 3. Runs the mix at --fraction (0.7) of that rate for --minutes (10): each minute it prints the
 *    requests, errors (anything not 2xx, socket errors, timeouts), p50 and p99 latency, and the
 *    service's RSS; at the end the totals, the RSS drift and the spread of the p99s.
 *
 * The mix, per connection and in turn: six reads (page 1, includes, a filter and sort, a show
 * with includes, a deeper offset page, a plain show) and a write pair (create an image, then force
 * delete it, so that the table does not grow; each create carries an `Idempotency-Key` of its own).
 * Not part of CI; docs/operations.md has results.
 */
import 'reflect-metadata';
import { execSync, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { sign } from 'jsonwebtoken';
import { ensureBenchDatabase } from './bench-data';
import { cliOption, JWT_SECRET, ROOT, rssMb, waitForPort } from './variants';

const DATABASE_URL = process.env.SOAK_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/image_api_soak';
const MINUTES = Number(cliOption('minutes', '10'));
const CONNECTIONS = Number(cliOption('connections', '32'));
const PROBE_SECONDS = Number(cliOption('probe-seconds', '20'));
const FRACTION = Number(cliOption('fraction', '0.7'));
const PORT = Number(cliOption('port', '34150'));

const token = sign(
  { sub: 'soak', permissions: ['create image', 'force delete image'] },
  JWT_SECRET,
  { algorithm: 'HS256', expiresIn: '4h' },
);

const get = (path: string): autocannon.Request => ({ method: 'GET', path });
let keys = 0;

/** One connection's turn through the mix: six reads, then a create and its force delete. */
function mix(): autocannon.Request[] {
  return [
    get('/api/image'),
    get('/api/image?include=anime,artists'),
    get('/api/image?filter[facet]=Cover&sort=-created_at'),
    get('/api/image/5000?include=anime,artists,studios'),
    get('/api/image?page[number]=200'),
    get('/api/image/4242'),
    {
      method: 'POST',
      path: '/api/image',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ path: 'soak/large-cover/created-by-the-soak.jpg', facet: 'Cover' }),
      // Every create with a key of its own, as a careful client sends it (recorded in its transaction).
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        headers: { ...request.headers, 'idempotency-key': `soak-${process.pid}-${(keys += 1)}` },
      }),
      onResponse: (status: number, body: string, context: Record<string, unknown>) => {
        context.imageId =
          status === 201 ? (JSON.parse(body) as { image: { image_id: number } }).image.image_id : 0;
      },
    },
    {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
      setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => ({
        ...request,
        path: `/api/forceDelete/image/${String(context.imageId)}`,
      }),
    },
  ] as autocannon.Request[];
}

interface Minute {
  requests: number;
  errors: number;
  latencies: number[];
  rss: number[];
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

async function run(
  options: autocannon.Options,
  onMinute?: (minute: Minute, index: number) => void,
) {
  const minutes: Minute[] = [];
  const started = Date.now();
  const current = () => {
    const index = Math.floor((Date.now() - started) / 60_000);
    while (minutes.length <= index)
      minutes.push({ requests: 0, errors: 0, latencies: [], rss: [] });
    return minutes[index];
  };
  let reported = 0;
  const report = () => {
    const index = Math.floor((Date.now() - started) / 60_000);
    while (onMinute !== undefined && reported < index && reported < minutes.length) {
      onMinute(minutes[reported], reported);
      reported += 1;
    }
  };
  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon(options, (error, result) =>
    error ? failed(error) : finished(result),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    const minute = current();
    minute.requests += 1;
    minute.latencies.push(responseTime);
    if (statusCode < 200 || statusCode >= 300) minute.errors += 1;
  });
  instance.on('reqError', () => (current().errors += 1));
  const sampler = setInterval(() => {
    current().rss.push(rssMb(service.pid));
    report();
  }, 5_000);
  const result = await done;
  clearInterval(sampler);
  current().errors += result.timeouts;
  report();
  if (onMinute !== undefined && reported < minutes.length) onMinute(minutes[reported], reported);
  return { result, minutes };
}

let service: ReturnType<typeof spawn>;

async function main(): Promise<void> {
  console.log(
    `soak: ${MINUTES} min at ${FRACTION} of the measured maximum, ${CONNECTIONS} connections`,
  );
  console.log(
    `   machine: ${cpus().length} cores, load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
  console.log(`== database ${DATABASE_URL}`);
  await ensureBenchDatabase(DATABASE_URL);
  console.log('== build');
  execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  service = spawn('node', ['--max-old-space-size=256', 'dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      DATABASE_URL,
      DB_MIGRATE: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      // The bench data's trash is years old: a first prune would force-delete ~4,000 images at
      // minute 5, a one-off burst, not the steady state this measures (the bench turns it off too).
      PRUNE_TRASHED_AFTER_DAYS: '0',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      JWT_SECRET,
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForPort(PORT, '/health/ready');
    const url = `http://127.0.0.1:${PORT}`;

    console.log(`== maximum (${PROBE_SECONDS} s unthrottled, after 5 s of warm-up)`);
    await autocannon({ url, connections: CONNECTIONS, duration: 5, requests: mix() });
    const probe = await run({
      url,
      connections: CONNECTIONS,
      duration: PROBE_SECONDS,
      requests: mix(),
    });
    const maximum = probe.result.requests.average;
    const rate = Math.round(maximum * FRACTION);
    console.log(
      `   ${maximum.toFixed(0)} req/s (p99 ${probe.result.latency.p99} ms, non-2xx ${probe.result.non2xx}); soak at ${rate} req/s`,
    );

    console.log(`== soak (${MINUTES} min)`);
    console.log('   minute  requests  errors  p50 ms  p99 ms  RSS MB (min-max)  load');
    const { result, minutes } = await run(
      { url, connections: CONNECTIONS, duration: MINUTES * 60, overallRate: rate, requests: mix() },
      (minute, index) => {
        const sorted = [...minute.latencies].sort((a, b) => a - b);
        const rss = minute.rss.length === 0 ? [0] : minute.rss;
        console.log(
          `   ${String(index + 1).padStart(6)}  ${String(minute.requests).padStart(8)}  ${String(minute.errors).padStart(6)}` +
            `  ${percentile(sorted, 0.5).toFixed(0).padStart(6)}  ${percentile(sorted, 0.99).toFixed(0).padStart(6)}` +
            `  ${Math.min(...rss)
              .toFixed(0)
              .padStart(6)}-${Math.max(...rss)
              .toFixed(0)
              .padEnd(9)}  ${loadavg()[0].toFixed(1)}`,
        );
      },
    );
    // The soak's own minutes: not the few answers that arrive after its end.
    const full = minutes.slice(0, MINUTES).filter((minute) => minute.requests > 0);
    const errors = minutes.reduce((sum, minute) => sum + minute.errors, 0);
    const p99s = full.map((minute) =>
      percentile(
        [...minute.latencies].sort((a, b) => a - b),
        0.99,
      ),
    );
    const rssOf = (minute: Minute | undefined) =>
      minute === undefined || minute.rss.length === 0
        ? 0
        : minute.rss.reduce((a, b) => a + b) / minute.rss.length;
    const firstRss = rssOf(full[1] ?? full[0]);
    const lastRss = rssOf(full[full.length - 1]);
    console.log('== result');
    console.log(
      `   requests ${result.requests.total}, errors ${errors} (timeouts ${result.timeouts})`,
    );
    console.log(
      `   RSS ${firstRss.toFixed(0)} MB (minute 2) -> ${lastRss.toFixed(0)} MB (last minute): ${(((lastRss - firstRss) / firstRss) * 100).toFixed(1)} %`,
    );
    console.log(
      `   p99 per minute ${Math.min(...p99s).toFixed(0)}-${Math.max(...p99s).toFixed(0)} ms`,
    );
    process.exitCode = errors === 0 ? 0 : 1;
  } finally {
    service.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  service?.kill('SIGTERM');
  process.exit(1);
});
