/**
 * `npm run bench:profile`: where the service's main thread spends its time per request, next to the
 * ceiling's, on the bench database. Both servers run under `node --cpu-prof`; each is loaded alone
 * at the same fixed rate (so that neither is charged for a different pace), a warm-up first, and
 * only the samples of the measured loads count (`profile-attribution.ts`). Prints µs per request by
 * group — packages, Node's modules, this repository's files, the garbage collector — with the
 * difference, largest first. A built-in without a script of its own (`JSON.stringify`, a socket
 * `write`) counts for its caller: Fastify's `serialize` in the service, `send` in the ceiling.
 *
 * Options (after `npm run bench:profile --`): --scenario NAME (page-1; any bench scenario both
 * servers answer), --rate N (requests per second, 1000), --duration S (10), --rounds N (3),
 * --warmup S (5), --connections N (20), --top N (25 rows), --variant cached (the service with its
 * response cache on, in place of the service), --keep (keep the `.cpuprofile` files and print where).
 *
 * V8 samples wall time: a system call, and the time the thread waits for a CPU that MariaDB or the
 * load generator has, count for the frame they happen in, so socket writes weigh more than the CPU
 * they cost. It sees neither V8's helper threads (parallel garbage collection) nor other
 * processes; `/proc` CPU per request covers those (docs/PERFORMANCE.md).
 */
import 'reflect-metadata';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ensureBenchDatabase } from './bench-data';
import { CpuProfile, timeByGroup, TimeWindow } from './profile-attribution';
import { assertExpectedAnswers, requestsOfEach, Scenario, scenarioNamed } from './scenarios';
import {
  buildServers,
  benchToken,
  cliFlag,
  cliOption,
  inAlternatingRounds,
  serviceVariantOption,
  startVariants,
  stopVariants,
  Variant,
  VariantName,
  variants,
} from './variants';

const SCENARIO = cliOption('scenario', 'page-1');
const RATE = Number(cliOption('rate', '1000'));
const DURATION = Number(cliOption('duration', '10'));
const ROUNDS = Number(cliOption('rounds', '3'));
const WARMUP = Number(cliOption('warmup', '5'));
const CONNECTIONS = Number(cliOption('connections', '20'));
const KEEP = cliFlag('keep');
const TOP = Number(cliOption('top', '25'));
const PROFILED: readonly VariantName[] = [serviceVariantOption(), 'ceiling'];

/** The monotonic clock in µs, the clock of a CPU profile's timestamps. */
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Load {
  readonly window: TimeWindow;
  readonly requests: number;
}

async function loadAtRate(
  variant: Variant,
  requests: autocannon.Request[],
  seconds: number,
  expectedStatus: Scenario['expectedStatus'],
): Promise<Load> {
  const start = nowUs();
  const result = await autocannon({
    url: `http://127.0.0.1:${variant.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    overallRate: RATE,
    requests,
  });
  const window = { start, end: nowUs() };
  assertExpectedAnswers(variant.name, result, expectedStatus);
  return { window, requests: result.requests.total };
}

function readProfile(directory: string): CpuProfile {
  const files = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length !== 1)
    throw new Error(`expected one profile in ${directory}, found ${files.length}`);
  return JSON.parse(readFileSync(join(directory, files[0]), 'utf8')) as CpuProfile;
}

/** µs per request by group, over all measured loads of one variant. */
function perRequest(profile: CpuProfile, loads: readonly Load[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const load of loads) {
    for (const [group, time] of timeByGroup(profile, load.window)) {
      totals.set(group, (totals.get(group) ?? 0) + time);
    }
  }
  const requests = loads.reduce((sum, load) => sum + load.requests, 0);
  return new Map([...totals].map(([group, time]) => [group, time / requests]));
}

function report(service: Map<string, number>, ceiling: Map<string, number>): string {
  const groups = [...new Set([...service.keys(), ...ceiling.keys()])];
  const of = (map: Map<string, number>, group: string) => map.get(group) ?? 0;
  const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
  // Largest differences first, either way: the ceiling's own code is a group the service lacks.
  const difference = (group: string) => Math.abs(of(service, group) - of(ceiling, group));
  groups.sort((a, b) => difference(b) - difference(a));
  const row = (label: string, s: number, c: number) =>
    `| ${label} | ${s.toFixed(1)} | ${c.toFixed(1)} | ${(s - c >= 0 ? '+' : '') + (s - c).toFixed(1)} |`;
  const shown = groups.slice(0, TOP);
  const rest = groups.slice(TOP);
  return [
    '| main thread, µs per request | service | ceiling | difference |',
    '| --- | ---: | ---: | ---: |',
    row('**busy (all groups)**', sum(service), sum(ceiling)),
    ...shown.map((group) => row(`\`${group}\``, of(service, group), of(ceiling, group))),
    ...(rest.length === 0
      ? []
      : [
          row(
            `${rest.length} more groups`,
            rest.reduce((total, group) => total + of(service, group), 0),
            rest.reduce((total, group) => total + of(ceiling, group), 0),
          ),
        ]),
  ].join('\n');
}

async function main(): Promise<void> {
  const scenario = scenarioNamed(SCENARIO);
  buildServers();
  await ensureBenchDatabase();
  const token = benchToken('4h');
  const root = mkdtempSync(join(tmpdir(), 'image-api-profile-'));
  // `--cpu-prof` is not allowed in NODE_OPTIONS: it goes on each command, one directory each.
  const list = PROFILED.map((name) => variants().find((variant) => variant.name === name)!).map(
    (variant) => {
      const [node, ...rest] = variant.command;
      const flags = ['--cpu-prof', `--cpu-prof-dir=${join(root, variant.name)}`];
      return { ...variant, command: [node, ...flags, ...rest] };
    },
  );
  const loads = new Map<VariantName, Load[]>(list.map((variant) => [variant.name, []]));
  try {
    await startVariants(list);
    const requests = await requestsOfEach(scenario, list, token);
    console.log(`== ${scenario.description}: ${RATE} req/s, ${ROUNDS} × ${DURATION} s each`);
    for (const variant of list) {
      await loadAtRate(variant, requests.get(variant.name)!, WARMUP, scenario.expectedStatus);
    }
    await inAlternatingRounds(list, ROUNDS, async (variant, round) => {
      const load = await loadAtRate(
        variant,
        requests.get(variant.name)!,
        DURATION,
        scenario.expectedStatus,
      );
      loads.get(variant.name)!.push(load);
      console.log(`   round ${round + 1} ${variant.name.padEnd(8)} ${load.requests} requests`);
    });
    // The last load's answers still on their way: let them land before the servers stop.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    // SIGTERM: both servers exit through process.exit, which writes the profile.
    await stopVariants(list);
  }
  const [service, ceiling] = list.map((variant) =>
    perRequest(readProfile(join(root, variant.name)), loads.get(variant.name)!),
  );
  if (KEEP) console.log(`   profiles kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
  console.log(`\n${report(service, ceiling)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
