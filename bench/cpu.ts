/**
 * `npm run bench:cpu`: CPU time per request of the service and the ceiling, and of MariaDB for each,
 * from `/proc/<pid>/stat` (user + system, all threads: V8's helper threads and the kernel's work for
 * the process count too, which a CPU profile does not see), and the server's read and write system
 * calls per request (`/proc/<pid>/io`). Each server is loaded alone, a warm-up first, then
 * alternating rounds, the order turned each round, as the bench does.
 *
 * Options (after `npm run bench:cpu --`): --scenario NAME (write-pair; any bench scenario both
 * servers answer), --connections N (50), --rate N (requests per second for both; unset: as fast as
 * they go), --duration S (8), --rounds N (3), --warmup S (15: the write path of a fresh service
 * is still being optimised for the first several seconds), --variant cached (the service with
 * its response cache on, in place of the service).
 *
 * The two cores are shared by the server, MariaDB and autocannon, so req/s moves with whatever
 * else runs; CPU per request moves much less (docs/PERFORMANCE.md, "The fourteenth session's runs").
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { ensureBenchDatabase } from './bench-data';
import { assertExpectedAnswers, requestsOfEach, Scenario, scenarioNamed } from './scenarios';
import {
  benchToken,
  buildServers,
  cliOption,
  inAlternatingRounds,
  serviceVariantOption,
  startVariants,
  stopVariants,
  Variant,
  VariantName,
  variants,
} from './variants';

const SCENARIO = cliOption('scenario', 'write-pair');
const CONNECTIONS = Number(cliOption('connections', '50'));
const RATE = cliOption('rate', '');
const DURATION = Number(cliOption('duration', '8'));
const ROUNDS = Number(cliOption('rounds', '3'));
const WARMUP = Number(cliOption('warmup', '15'));
const MEASURED: readonly VariantName[] = [serviceVariantOption(), 'ceiling'];

/** Seconds of CPU (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Read- and write-like system calls (`read`, `write`, `writev`, …) the process has made so far
 * (`/proc/<pid>/io`; not `sendmsg`/`recvmsg`, which is why MariaDB's are not shown).
 */
function systemCalls(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const count = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
  return count('syscr') + count('syscw');
}

interface Round {
  readonly requestsPerSecond: number;
  readonly nodeUs: number;
  readonly mariadbUs: number;
  readonly busy: number;
  readonly nodeCalls: number;
}

async function load(
  variant: Variant,
  requests: autocannon.Request[],
  seconds: number,
  expectedStatus: Scenario['expectedStatus'],
  mariadb: number,
): Promise<Round> {
  const pid = variant.process!.pid!;
  const [node0, db0, t0] = [cpuSeconds(pid), cpuSeconds(mariadb), Date.now()];
  const calls0 = systemCalls(pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${variant.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests,
    ...(RATE === '' ? {} : { overallRate: Number(RATE) }),
  });
  const elapsed = (Date.now() - t0) / 1000;
  assertExpectedAnswers(variant.name, result, expectedStatus);
  const total = result.requests.total;
  const node = cpuSeconds(pid) - node0;
  return {
    requestsPerSecond: total / elapsed,
    nodeUs: (node / total) * 1e6,
    mariadbUs: ((cpuSeconds(mariadb) - db0) / total) * 1e6,
    busy: node / elapsed,
    nodeCalls: (systemCalls(pid) - calls0) / total,
  };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const scenario = scenarioNamed(SCENARIO);
  buildServers();
  await ensureBenchDatabase();
  const mariadb = Number(execFileSync('pidof', ['mariadbd'], { encoding: 'utf8' }).split(' ')[0]);
  const list = MEASURED.map((name) => variants().find((variant) => variant.name === name)!);
  const rounds = new Map<VariantName, Round[]>(list.map((variant) => [variant.name, []]));
  try {
    await startVariants(list);
    const token = benchToken('4h');
    const requests = await requestsOfEach(scenario, list, token);
    const pace = RATE === '' ? 'as fast as they go' : `${RATE} req/s`;
    console.log(`== ${scenario.description}: ${CONNECTIONS} connections, ${pace}`);
    for (const variant of list) {
      await load(variant, requests.get(variant.name)!, WARMUP, scenario.expectedStatus, mariadb);
    }
    await inAlternatingRounds(list, ROUNDS, async (variant, round) => {
      const measured = await load(
        variant,
        requests.get(variant.name)!,
        DURATION,
        scenario.expectedStatus,
        mariadb,
      );
      rounds.get(variant.name)!.push(measured);
      console.log(
        `   round ${round + 1} ${variant.name.padEnd(8)} ${measured.requestsPerSecond.toFixed(0)} req/s, ` +
          `node ${measured.nodeUs.toFixed(0)} µs, MariaDB ${measured.mariadbUs.toFixed(0)} µs per request, ` +
          `${measured.nodeCalls.toFixed(1)} system calls`,
      );
    });
  } finally {
    await stopVariants(list);
  }
  console.log(
    '\n| median of rounds | req/s | node CPU µs / request | MariaDB CPU µs / request | node busy | node system calls / request |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const variant of list) {
    const measured = rounds.get(variant.name)!;
    const column = (pick: (round: Round) => number, digits = 0) =>
      median(measured.map(pick)).toFixed(digits);
    console.log(
      `| ${variant.name} | ${column((r) => r.requestsPerSecond)} | ${column((r) => r.nodeUs)} | ` +
        `${column((r) => r.mariadbUs)} | ${(Number(column((r) => r.busy, 2)) * 100).toFixed(0)} % | ` +
        `${column((r) => r.nodeCalls, 1)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
