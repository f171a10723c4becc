/**
 * `npm run bench -- --replicas`, or `npm run bench:replicas` (issue 20, docs/scaling.md): list and show throughput with the reads on a
 * read replica next to the reads on the primary. Starts a MariaDB primary and a replica of its own
 * joined by binlog replication (ports 33170/33171, a temporary folder), seeds the benchmark's data
 * set on the primary (bench-data.ts; it reaches the replica through the binlog), and runs two
 * service processes on it: `primary` (DATABASE_URL only) and `replica` (DATABASE_REPLICA_URLS set
 * too). They are loaded in turn with autocannon, the order rotated each round. Prints req/s, p50
 * and p99 per scenario, the CPU each database server spent per request (from /proc), and which
 * server answered the replica instance's reads (its `db_reads_total`).
 *
 * Options (after `npm run bench -- --replicas`): --duration S (10), --rounds N (3), --warmup S (3),
 * --connections N (50), --only scenario1,scenario2.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { ReplicatedMariaDb } from '../test/helpers/mariadb-replication';
import { ensureBenchDatabase } from './bench-data';
import { SCENARIOS } from './scenarios';
import {
  benchToken,
  buildServers,
  cliOption,
  ROOT,
  serviceEnv,
  startCommand,
  waitForPort,
} from './variants';

const DURATION = Number(cliOption('duration', '10'));
const ROUNDS = Number(cliOption('rounds', '3'));
const WARMUP = Number(cliOption('warmup', '3'));
const CONNECTIONS = Number(cliOption('connections', '50'));
const ONLY = cliOption('only', '').split(',').filter(Boolean);
const PORTS = { primary: 33170, replica: 33171, readsOnPrimary: 33180, readsOnReplica: 33181 };
const DATABASE = 'image_api_bench';
/** The read scenarios of `npm run bench` (the ones replicas serve). */
const READ_SCENARIOS = [
  'page-1',
  'page-1-include',
  'filter-sort',
  'show-include',
  'conditional-304',
];

type Target = 'primary' | 'replica';

interface Instance {
  readonly target: Target;
  readonly port: number;
  process?: ChildProcess;
}

interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU milliseconds per request of the service process, the primary's and the replica's mariadbd. */
  serviceCpuMs: number;
  primaryCpuMs: number;
  replicaCpuMs: number;
}

/** A process's user + system CPU time in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function metric(port: number, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchReplicas(): Promise<void> {
  console.log(`bench:replicas on ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}`);
  console.log('1. building the service');
  buildServers();

  console.log('2. a MariaDB primary and replica of their own');
  const database = await ReplicatedMariaDb.start(PORTS);
  const instances: Instance[] = [
    { target: 'primary', port: PORTS.readsOnPrimary },
    { target: 'replica', port: PORTS.readsOnReplica },
  ];
  try {
    await database.createDatabase(DATABASE);
    const primaryUrl = database.url('primary', DATABASE);
    console.log(`   ${await ensureBenchDatabase(primaryUrl)}`);
    await database.caughtUp(600_000);

    console.log('3. the two instances');
    for (const instance of instances) {
      const [command, ...args] = startCommand();
      instance.process = spawn(command, args, {
        cwd: ROOT,
        env: {
          ...process.env,
          // Cache off: every read reaches its database server, which is what this compares.
          ...serviceEnv(instance.port, 'info', 0, primaryUrl),
          ...(instance.target === 'replica'
            ? { DATABASE_REPLICA_URLS: database.url('replica', DATABASE) }
            : {}),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await waitForPort(instance.port, '/api/image/1');
    }
    const deadline = Date.now() + 30_000;
    while ((await metric(PORTS.readsOnReplica, 'db_replica_up{replica="replica1"}')) !== 1) {
      if (Date.now() > deadline) throw new Error('the replica instance never used its replica');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const token = benchToken('4h');
    const scenarios = SCENARIOS.filter(
      (scenario) =>
        READ_SCENARIOS.includes(scenario.name) &&
        (ONLY.length === 0 || ONLY.includes(scenario.name)),
    );
    const results = new Map<string, Map<Target, Measurement[]>>();
    const readsBefore = {
      primary: await metric(PORTS.readsOnReplica, 'db_reads_total{server="primary"}'),
      replica: await metric(PORTS.readsOnReplica, 'db_reads_total{server="replica1"}'),
    };
    console.log(`4. ${ROUNDS} rounds of ${DURATION} s per scenario and instance`);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const scenario of scenarios) {
        const order = round % 2 === 0 ? instances : [...instances].reverse();
        for (const instance of order) {
          const requests = await scenario.requests.service!(instance.port, token);
          const url = `http://127.0.0.1:${instance.port}`;
          if (round === 0)
            await autocannon({ url, connections: CONNECTIONS, duration: WARMUP, requests });
          const before = {
            service: cpuMs(instance.process?.pid),
            primary: cpuMs(database.primary.pid),
            replica: cpuMs(database.replica.pid),
          };
          const result = await autocannon({
            url,
            connections: CONNECTIONS,
            duration: DURATION,
            requests,
          });
          const total = result.requests.total;
          const statuses = result as unknown as Record<string, number>;
          const expected = statuses[scenario.expectedStatus === 304 ? '3xx' : '2xx'] ?? 0;
          if (expected !== total || result.errors + result.timeouts > 0) {
            throw new Error(
              `${scenario.name} on ${instance.target}: ${total - expected} unexpected answers`,
            );
          }
          const measurement: Measurement = {
            requestsPerSecond: result.requests.average,
            p50: result.latency.p50,
            p99: result.latency.p99,
            serviceCpuMs: (cpuMs(instance.process?.pid) - before.service) / total,
            primaryCpuMs: (cpuMs(database.primary.pid) - before.primary) / total,
            replicaCpuMs: (cpuMs(database.replica.pid) - before.replica) / total,
          };
          const byTarget = results.get(scenario.name) ?? new Map<Target, Measurement[]>();
          byTarget.set(instance.target, [...(byTarget.get(instance.target) ?? []), measurement]);
          results.set(scenario.name, byTarget);
          console.log(
            `   round ${round + 1} ${scenario.name.padEnd(16)} reads on ${instance.target.padEnd(7)} ` +
              `${measurement.requestsPerSecond.toFixed(0).padStart(6)} req/s`,
          );
        }
      }
    }
    const readsAfter = {
      primary: await metric(PORTS.readsOnReplica, 'db_reads_total{server="primary"}'),
      replica: await metric(PORTS.readsOnReplica, 'db_reads_total{server="replica1"}'),
    };

    const rows = [...results].map(([name, byTarget]) => {
      const cell = (target: Target) => {
        const list = byTarget.get(target)!;
        return {
          rps: median(list.map((m) => m.requestsPerSecond)),
          serviceCpu: median(list.map((m) => m.serviceCpuMs)),
          p50: median(list.map((m) => m.p50)),
          p99: median(list.map((m) => m.p99)),
          primaryCpu: median(list.map((m) => m.primaryCpuMs)),
          replicaCpu: median(list.map((m) => m.replicaCpuMs)),
        };
      };
      const [onPrimary, onReplica] = [cell('primary'), cell('replica')];
      return (
        `| ${name} | ${onPrimary.rps.toFixed(0)} | ${onPrimary.p50} / ${onPrimary.p99} | ` +
        `${onPrimary.serviceCpu.toFixed(3)} | ${onPrimary.primaryCpu.toFixed(3)} | ` +
        `${onReplica.rps.toFixed(0)} | ${onReplica.p50} / ${onReplica.p99} | ` +
        `${onReplica.serviceCpu.toFixed(3)} | ${onReplica.primaryCpu.toFixed(3)} / ` +
        `${onReplica.replicaCpu.toFixed(3)} | ${(onReplica.rps / onPrimary.rps).toFixed(2)} |`
      );
    });
    console.log(
      [
        '',
        `Medians of ${ROUNDS} rounds of ${DURATION} s, ${CONNECTIONS} connections, ` +
          `${cpus().length} cores, load average ${loadavg()[0].toFixed(2)} at the end.`,
        '',
        '| scenario | reads on the primary: req/s | p50 / p99 ms | service CPU ms/req | primary CPU ms/req | reads on the replica: req/s | p50 / p99 ms | service CPU ms/req | primary / replica CPU ms/req | replica / primary req/s |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...rows,
        '',
        `The replica instance's reads during the loads: ${readsAfter.replica - readsBefore.replica} ` +
          `on the replica, ${readsAfter.primary - readsBefore.primary} on the primary.`,
      ].join('\n'),
    );
  } finally {
    await Promise.all(
      instances.map(
        (instance) =>
          new Promise<void>((resolve) => {
            const child = instance.process;
            if (child === undefined || child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await database.close();
  }
}

if (require.main === module) {
  benchReplicas().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
