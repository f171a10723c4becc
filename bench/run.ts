/**
 * `npm run bench`: seeds a MariaDB database with realistic data (bench-data.ts), starts the service,
 * the ceiling (bare node:http + mysql2) and the peer (NestJS on Express + TypeORM +
 * nestjs-paginate) on it, and load-tests them with autocannon, the variants interleaved round-robin
 * (the order rotated each round) so that noise hits all alike. Prints req/s, p50, p99 and peak RSS
 * per variant and scenario, the ratios, and writes them with the machine, the date and the plans of
 * the list statements to docs/PERFORMANCE.md (between the `bench:results` markers).
 *
 * Options (after `npm run bench --`): --duration S (15), --rounds N (3), --warmup S (5),
 * --connections N (50), --only scenario1,scenario2, --service-log-level L (info), --no-write
 * (print only), --replicas (reads on a replica next to reads on the primary: replicas.ts).
 * BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306/image_api_bench).
 */
import 'reflect-metadata';
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { RowDataPacket } from 'mysql2/promise';
import { ensureBenchDatabase } from './bench-data';
import { explainListQueries } from './explain';
import { benchReplicas } from './replicas';
import { prepareScenario, Scenario, SCENARIOS } from './scenarios';
import {
  benchDatabase,
  buildServers,
  connectToBench,
  benchToken,
  cliFlag,
  cliOption,
  ROOT,
  rssMb,
  startVariants,
  stopVariants,
  Variant,
  VariantName,
  variants,
} from './variants';

const DURATION = Number(cliOption('duration', '15'));
const ROUNDS = Number(cliOption('rounds', '3'));
const WARMUP = Number(cliOption('warmup', '5'));
const CONNECTIONS = Number(cliOption('connections', '50'));
const ONLY = cliOption('only', '').split(',').filter(Boolean);
const SERVICE_LOG_LEVEL = cliOption('service-log-level', 'info');
const WRITE_REPORT = !cliFlag('no-write');

interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  rssMb: number;
  /** Answers that are not what the scenario expects (2xx, or 304 for the conditional one). */
  unexpected: number;
  errors: number;
}

async function load(
  variant: Variant,
  expectedStatus: Scenario['expectedStatus'],
  requests: autocannon.Request[],
  seconds: number,
): Promise<Measurement> {
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(variant.process?.pid));
  }, 250);
  const result = await autocannon({
    url: `http://127.0.0.1:${variant.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests,
  });
  clearInterval(sampler);
  await settle();
  const statuses = result as unknown as Record<string, number>;
  const expected = expectedStatus === 304 ? statuses['3xx'] : statuses['2xx'];
  const total = ['1xx', '2xx', '3xx', '4xx', '5xx'].reduce(
    (sum, key) => sum + (statuses[key] ?? 0),
    0,
  );
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMb: Math.max(peakRss, rssMb(variant.process?.pid)),
    unexpected: total - (expected ?? 0),
    errors: result.errors + result.timeouts,
  };
}

/**
 * Waits until the database has no statement of the bench database running: a server that is still
 * working off the requests of the last load (the peer's joins take seconds) would otherwise steal
 * the next variant's time.
 */
async function settle(): Promise<void> {
  const database = benchDatabase();
  const connection = await connectToBench(database, 'server');
  try {
    // Quiet for 2 s in a row: a server still working off queued requests sends its next statement
    // within milliseconds of the last one, so one idle sample is not enough.
    const deadline = Date.now() + 180_000;
    let quietSince: number | undefined;
    while (Date.now() < deadline) {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS running FROM information_schema.PROCESSLIST
         WHERE DB = ? AND COMMAND <> 'Sleep' AND ID <> CONNECTION_ID()`,
        [database.database],
      );
      if (Number(rows[0].running) > 0) quietSince = undefined;
      else quietSince ??= Date.now();
      if (quietSince !== undefined && Date.now() - quietSince >= 2_000) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.warn('   the database did not settle within 3 minutes');
  } finally {
    await connection.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Summary {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  rssMb: number;
  unexpected: number;
}

function summarize(measurements: Measurement[] | undefined): Summary | undefined {
  if (measurements === undefined || measurements.length === 0) return undefined;
  return {
    requestsPerSecond: median(measurements.map((m) => m.requestsPerSecond)),
    p50: median(measurements.map((m) => m.p50)),
    p99: median(measurements.map((m) => m.p99)),
    rssMb: Math.max(...measurements.map((m) => m.rssMb)),
    unexpected: measurements.reduce((sum, m) => sum + m.unexpected + m.errors, 0),
  };
}

/** A variant's measurements in a scenario, or (`baseline`) the service's on the scenario's baseline. */
type Slot = VariantName | 'baseline';
type Results = Map<string, Map<Slot, Measurement[]>>;

/** The targets of issue 6, checked against the same run. */
function targets(results: Results): string[] {
  const rps = (scenario: string, slot: Slot) =>
    summarize(results.get(scenario)?.get(slot))?.requestsPerSecond;
  const lines: string[] = [];
  const check = (label: string, value: number | undefined, goal: number) => {
    if (value === undefined) return;
    lines.push(
      `| ${label} | ${value.toFixed(2)} | ≥ ${goal.toFixed(2)} | ${value >= goal ? 'met' : '**not met**'} |`,
    );
  };
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;
  check(
    'page 1: service / ceiling',
    ratio(rps('page-1', 'service'), rps('page-1', 'ceiling')),
    0.9,
  );
  check(
    'include=anime,artists: service / ceiling',
    ratio(rps('page-1-include', 'service'), rps('page-1-include', 'ceiling')),
    0.85,
  );
  check('page 1: service / peer', ratio(rps('page-1', 'service'), rps('page-1', 'peer')), 1.7);
  check(
    'include=anime,artists: service / peer',
    ratio(rps('page-1-include', 'service'), rps('page-1-include', 'peer')),
    2,
  );
  // Issue 23: the response cache against the (uncached) ceiling.
  for (const [scenario, label] of [
    ['page-1', 'page 1'],
    ['page-1-include', 'include=anime,artists'],
    ['show-include', 'show with include'],
    ['pivot-list-include', 'pivot list with include'],
  ]) {
    check(
      `${label}: service with the response cache / ceiling`,
      ratio(rps(scenario, 'cached'), rps(scenario, 'ceiling')),
      3,
    );
  }
  // Against the service's own baseline loads, interleaved with these scenarios' rounds.
  check(
    'cursor page 90,000 rows deep / page 1 (service)',
    ratio(rps('deep-cursor', 'service'), rps('deep-cursor', 'baseline')),
    0.8,
  );
  check(
    '304 / the same request answered 200 (service)',
    ratio(rps('conditional-304', 'service'), rps('conditional-304', 'baseline')),
    2,
  );
  // The baseline loads ran on the service too.
  const rss = Math.max(
    ...[...results.values()].flatMap((perVariant) =>
      (['service', 'cached', 'baseline'] as const).map(
        (slot) => summarize(perVariant.get(slot))?.rssMb ?? 0,
      ),
    ),
  );
  if (rss > 0) {
    lines.push(
      `| service peak RSS under load (MB) | ${rss.toFixed(0)} | ≤ 200 | ${rss <= 200 ? 'met' : '**not met**'} |`,
    );
  }
  return lines.length === 0
    ? []
    : ['| target (issue 6) | this run | goal | |', '| --- | ---: | ---: | --- |', ...lines];
}

function renderReport(list: Variant[], scenarios: Scenario[], results: Results): string {
  const lines = [
    '| scenario | variant | req/s (median of rounds) | p50 ms | p99 ms | peak RSS MB | unexpected answers |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const ratios: string[] = [];
  for (const scenario of scenarios) {
    const perVariant = results.get(scenario.name);
    if (perVariant === undefined) continue;
    const slots: [Slot, string][] = list.map((variant) => [variant.name, variant.name]);
    if (scenario.serviceBaseline !== undefined) {
      slots.push(['baseline', `service, baseline: ${scenario.serviceBaseline.description}`]);
    }
    for (const [slot, label] of slots) {
      const summary = summarize(perVariant.get(slot));
      if (summary === undefined) continue;
      lines.push(
        `| ${scenario.name} | ${label} | ${summary.requestsPerSecond.toFixed(0)} | ${summary.p50} | ${summary.p99} | ${summary.rssMb.toFixed(0)} | ${summary.unexpected} |`,
      );
    }
    const service = summarize(perVariant.get('service'));
    const ceiling = summarize(perVariant.get('ceiling'));
    const peer = summarize(perVariant.get('peer'));
    const parts: string[] = [];
    if (service && ceiling) {
      parts.push(
        `service/ceiling ${(service.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2)}`,
      );
    }
    const cached = summarize(perVariant.get('cached'));
    if (cached && ceiling) {
      parts.push(
        `cached/ceiling ${(cached.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2)}`,
      );
    }
    if (service && peer) {
      parts.push(`service/peer ${(service.requestsPerSecond / peer.requestsPerSecond).toFixed(2)}`);
    }
    if (parts.length > 0) ratios.push(`- ${scenario.name}: ${parts.join(', ')}`);
  }
  const scenarioList = scenarios.map((s) => `- \`${s.name}\`: ${s.description}`).join('\n');
  const goals = targets(results);
  return [
    lines.join('\n'),
    '',
    'Ratios (same run):',
    ratios.join('\n'),
    '',
    ...(goals.length > 0 ? [goals.join('\n'), ''] : []),
    'Scenarios:',
    scenarioList,
    '',
  ].join('\n');
}

function writeReport(header: string, body: string): void {
  const file = join(ROOT, 'docs', 'PERFORMANCE.md');
  let existing = '# Performance\n';
  try {
    existing = readFileSync(file, 'utf8');
  } catch {
    // first run
  }
  const marker = '<!-- bench:results -->';
  const block = `${marker}\n${header}\n\n${body}\n${marker}`;
  const pattern = new RegExp(`${marker}[\\s\\S]*${marker}`);
  writeFileSync(
    file,
    pattern.test(existing)
      ? existing.replace(pattern, () => block)
      : `${existing.trimEnd()}\n\n${block}\n`,
  );
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  // Reads on a replica next to reads on the primary: a bench of its own (replicas.ts).
  if (cliFlag('replicas')) return benchReplicas();
  console.log('== building the service, the ceiling and the peer');
  buildServers();
  console.log('== bench data');
  const data = await ensureBenchDatabase();
  const plans = await explainListQueries();

  const list = variants(SERVICE_LOG_LEVEL);
  const results: Results = new Map();
  const scenarios = SCENARIOS.filter(
    (scenario) => ONLY.length === 0 || ONLY.includes(scenario.name),
  );
  const loadBefore = loadavg()[0];
  await startVariants(list);
  try {
    const token = benchToken('4h');
    for (const scenario of scenarios) {
      const prepared = new Map<VariantName, autocannon.Request[]>();
      for (const variant of list) {
        const requests = await prepareScenario(scenario, variant.name, variant.port, token);
        if (requests !== undefined) prepared.set(variant.name, requests);
      }
      // Each round loads the variants and the service's baseline (if any) one after the other, the
      // order rotated by one each round, so each load takes each place in a round once (with three
      // rounds of three) and none is always the first after the warm-up. A rotation keeps the cycle:
      // each load still follows the same other.
      const service = list.find((variant) => variant.name === 'service');
      const loads: { slot: Slot; variant: Variant; requests: autocannon.Request[] }[] = [];
      for (const variant of list) {
        const requests = prepared.get(variant.name);
        if (requests !== undefined) loads.push({ slot: variant.name, variant, requests });
      }
      if (scenario.serviceBaseline !== undefined && service !== undefined) {
        const requests = await scenario.serviceBaseline.requests(service.port, token);
        loads.push({ slot: 'baseline', variant: service, requests });
      }
      const expectedOf = (slot: Slot) =>
        slot === 'baseline' ? undefined : scenario.expectedStatus;
      const perVariant = new Map<Slot, Measurement[]>();
      results.set(scenario.name, perVariant);
      console.log(`== ${scenario.name}: ${scenario.description}`);
      for (const { slot, variant, requests } of loads) {
        if (WARMUP > 0) await load(variant, expectedOf(slot), requests, WARMUP);
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let turn = 0; turn < loads.length; turn++) {
          const { slot, variant, requests } = loads[(turn + round) % loads.length];
          const m = await load(variant, expectedOf(slot), requests, DURATION);
          perVariant.set(slot, [...(perVariant.get(slot) ?? []), m]);
          console.log(
            `   round ${round + 1} ${slot.padEnd(8)} ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  rss ${m.rssMb.toFixed(0)} MB${m.unexpected ? `  unexpected ${m.unexpected}` : ''}${m.errors ? `  errors ${m.errors}` : ''}`,
          );
        }
      }
    }
  } finally {
    await stopVariants(list);
  }

  const mariadb = execSync('mariadb --version 2>/dev/null || mysql --version 2>/dev/null || true')
    .toString()
    .trim();
  const header = [
    '## Latest `npm run bench` run',
    '',
    `${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${mariadb}.`,
    `Load average before / after: ${loadBefore.toFixed(2)} / ${loadavg()[0].toFixed(2)} (other work on the machine skews absolute numbers; the ratios are same-run).`,
    `${CONNECTIONS} connections, ${WARMUP} s warm-up, ${ROUNDS} round(s) of ${DURATION} s per variant, interleaved (the order rotated each round); service at LOG_LEVEL=${SERVICE_LOG_LEVEL}.`,
    `Data: ${data}.`,
  ].join('\n');
  const report = `${renderReport(list, scenarios, results)}\n### Plans of the list statements on this data\n\n${plans}\n`;
  console.log(`\n${header}\n\n${report}`);
  if (WRITE_REPORT) writeReport(header, report);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
