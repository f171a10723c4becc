/**
 * `npm run bench:instructions`: the instructions the service's process executes per request, next to
 * the ceiling's, counted by valgrind's callgrind. Unlike req/s and CPU time, a count does not move
 * with what else the machine is doing: the same build, data and requests give the same count to a
 * few tenths of a percent, so a change of 1 % in the cost of a request shows in one run, where the
 * throughput runs need several runs to see 10 % (docs/PERFORMANCE.md).
 *
 * Each server runs alone under `valgrind --tool=callgrind`, is sent `--warmup` requests (until its
 * code is optimised: V8 compiles for tens of thousands of requests) with callgrind's instrumentation
 * off (valgrind alone, several times faster than counting), then instrumentation goes on, the count
 * is zeroed, `--requests` more are sent (about 50 × slower than natively) and the count is dumped. Per thread: the main thread
 * (JavaScript, the event loop, the sockets' user side) and V8's helper threads (concurrent
 * compilation and garbage collection). `--no-memory-reducer` for both: under valgrind the
 * allocation rate looks idle to V8, which would then start full collections a real load never
 * sees. System calls are the kernel's and not counted.
 *
 * Options (after `npm run bench:instructions --`): --scenario a,b (page-1,page-1-include; any bench
 * scenario both servers answer), --warmup N (25000), --requests N (5000), --connections N (4),
 * --keep (keep callgrind's dump files, for `callgrind_annotate`), --variant cached (the service with
 * its response cache on, in place of the service: every counted request is a hit), --servers service
 * (count only the service; the ceiling's count barely moves between changes of the service),
 * --start-timeout S (600: seconds a server under valgrind may take to answer, more on a loaded
 * machine), --no-build (count `dist/` as it is). BENCH_DATABASE_URL and BENCH_PORT_BASE as for
 * `npm run bench`.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ensureBenchDatabase } from './bench-data';
import { callgrindTotal, firstDumpFiles } from './instruction-count';
import { assertExpectedAnswers, prepareScenario, Scenario, SCENARIOS } from './scenarios';
import {
  benchToken,
  buildServers,
  cliFlag,
  cliOption,
  serviceVariantOption,
  startVariants,
  stopVariants,
  Variant,
  variants,
} from './variants';

const SCENARIO_NAMES = cliOption('scenario', 'page-1,page-1-include').split(',');
const WARMUP = Number(cliOption('warmup', '25000'));
const REQUESTS = Number(cliOption('requests', '5000'));
const CONNECTIONS = Number(cliOption('connections', '4'));
/** Keeps callgrind's dump files (for `callgrind_annotate`) and prints where they are. */
const KEEP = cliFlag('keep');
const SERVICE = serviceVariantOption();
/** `service` counts the service (or `--variant cached`) alone; the default counts the ceiling too. */
const SERVERS = cliOption('servers', 'service,ceiling').split(',');
/** Starting node's JIT under valgrind takes a while. */
const START_TIMEOUT_MS = Number(cliOption('start-timeout', '600')) * 1000;

interface Count {
  readonly main: number;
  readonly helpers: number;
}

/**
 * `--warmup` requests, then `--requests` counted ones, on the same connections: the count is zeroed
 * when the last warm-up answer arrives (the few requests then in flight count, of thousands) and
 * dumped after the last answer. Closing connections between the two would make V8 throw away
 * code that depended on the closed sockets and compile it again inside the counted window.
 */
async function sendCounted(
  variant: Variant,
  pid: string,
  requests: autocannon.Request[],
  expectedStatus: Scenario['expectedStatus'],
): Promise<void> {
  const amount = WARMUP + REQUESTS;
  let answered = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const options = {
      url: `http://127.0.0.1:${variant.port}`,
      connections: CONNECTIONS,
      amount,
      requests,
      timeout: 60,
    };
    const instance = autocannon(options, (error: unknown, done: autocannon.Result) => {
      if (error === null || error === undefined) resolve(done);
      else reject(error instanceof Error ? error : new Error('autocannon failed'));
    });
    instance.on('response', () => {
      answered += 1;
      if (answered === WARMUP) {
        execFileSync('callgrind_control', ['--instr=on', pid], { stdio: 'ignore' });
        execFileSync('callgrind_control', ['-z', pid], { stdio: 'ignore' });
      }
    });
  });
  execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
  assertExpectedAnswers(variant.name, result, expectedStatus);
  if (result.requests.total < amount) {
    throw new Error(`${variant.name}: ${result.requests.total} of ${amount} requests answered`);
  }
}

/** One server under callgrind, one scenario: instructions per request, main thread and helpers. */
async function count(variant: Variant, scenario: Scenario, directory: string): Promise<Count> {
  const outFile = join(directory, `${variant.name}-${scenario.name}.out`);
  const [node, ...rest] = variant.command;
  const measured: Variant = {
    ...variant,
    // Under valgrind a handshake with MariaDB takes longer than the default 2 s limit; the limits
    // are armed all the same, so the count per request does not change.
    env: { ...variant.env, DB_CONNECT_TIMEOUT_MS: '60000', DB_STATEMENT_TIMEOUT_MS: '60000' },
    command: [
      'valgrind',
      '--tool=callgrind',
      '--quiet',
      // The warm-up runs uninstrumented (several times faster); counting starts after it.
      '--instr-atstart=no',
      '--smc-check=all-non-file',
      '--separate-threads=yes',
      `--callgrind-out-file=${outFile}`,
      node,
      '--no-memory-reducer',
      ...rest,
    ],
  };
  await startVariants([measured], '', START_TIMEOUT_MS);
  const pid = String(measured.process!.pid);
  try {
    const requests = await prepareScenario(scenario, variant.name, variant.port, benchToken('4h'));
    if (requests === undefined) throw new Error(`${variant.name} does not answer ${scenario.name}`);
    await sendCounted(measured, pid, requests, scenario.expectedStatus);
  } finally {
    await stopVariants([measured]);
  }
  const files = firstDumpFiles(outFile, readdirSync(directory));
  const total = (name: string) => callgrindTotal(readFileSync(join(directory, name), 'utf8'));
  return {
    main: total(files.main) / REQUESTS,
    helpers: files.others.reduce((sum, name) => sum + total(name), 0) / REQUESTS,
  };
}

function report(scenario: Scenario, service: Count, ceiling: Count | undefined): string {
  const thousands = (value: number) => `${(value / 1000).toFixed(1)} k`;
  const row = (label: string, s: number, c: number | undefined) =>
    c === undefined
      ? `| ${label} | ${thousands(s)} | – | – |`
      : `| ${label} | ${thousands(s)} | ${thousands(c)} | ${(s / c).toFixed(3)} |`;
  return [
    `${scenario.description}: ${REQUESTS} requests counted after ${WARMUP}`,
    '',
    `| instructions per request | ${SERVICE} | ceiling | ${SERVICE} / ceiling |`,
    '| --- | ---: | ---: | ---: |',
    row(
      '**whole process**',
      service.main + service.helpers,
      ceiling && ceiling.main + ceiling.helpers,
    ),
    row('main thread', service.main, ceiling?.main),
    row("V8's helper threads", service.helpers, ceiling?.helpers),
  ].join('\n');
}

function valgrindVersion(): string {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
  }
}

async function main(): Promise<void> {
  const answered = SCENARIOS.filter(
    (scenario) =>
      scenario.requests[SERVICE] !== undefined && scenario.requests.ceiling !== undefined,
  );
  const scenarios = SCENARIO_NAMES.map((name) => {
    const scenario = answered.find((candidate) => candidate.name === name);
    if (scenario === undefined) {
      throw new Error(
        `no scenario ${name} that both answer: ${answered.map((s) => s.name).join(', ')}`,
      );
    }
    return scenario;
  });
  console.log(`   ${valgrindVersion()}`);
  if (!cliFlag('no-build')) buildServers();
  await ensureBenchDatabase();
  const directory = mkdtempSync(join(tmpdir(), 'image-api-instructions-'));
  if (SERVERS[0] !== 'service') throw new Error('--servers must name the service');
  const counted = [SERVICE, ...SERVERS.slice(1)].map((name) =>
    variants().find((variant) => variant.name === name)!,
  );
  try {
    for (const scenario of scenarios) {
      console.log(`== ${scenario.description}`);
      const counts = [];
      for (const variant of counted) {
        counts.push(await count(variant, scenario, directory));
        console.log(`   ${variant.name} counted`);
      }
      console.log(`\n${report(scenario, counts[0], counts[1])}\n`);
    }
  } finally {
    if (KEEP) console.log(`   callgrind's dump files are in ${directory}`);
    else rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
