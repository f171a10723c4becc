import { echoClient, eventually, startEchoServer } from '../helpers/echo-server';
import { FaultProxy } from '../helpers/fault-proxy';
import { expectSurvivedOutage, runOutageScenario, summarize } from '../helpers/outage-scenario';
import { ProxiedApp, startProxiedApp } from '../helpers/proxied-app';
import { testDatabaseKinds } from '../helpers/test-database';

type EchoClient = Awaited<ReturnType<typeof echoClient>>;

/**
 * Runs `check` on a fault proxy in front of an echo server, with a client connected through it
 * whose `hello` has come back; everything is closed afterwards.
 */
export async function withProxiedEcho(
  check: (proxy: FaultProxy, client: EchoClient) => Promise<void>,
): Promise<void> {
  const echo = await startEchoServer();
  const proxy = new FaultProxy('127.0.0.1', echo.port);
  await proxy.start();
  try {
    const client = await echoClient(proxy.port);
    client.socket.write('hello');
    await eventually(() => client.received() === 'hello');
    expect(client.received()).toBe('hello');
    await check(proxy, client);
  } finally {
    await proxy.stop();
    echo.server.close();
  }
}

/** A network fault between the service and MariaDB, as the fault proxy injects it. */
export interface DatabaseFault {
  /** The describe's words: "the database connections are cut". */
  readonly what: string;
  /** The test's words for the fault's time: "the cut". */
  readonly during: string;
  readonly inject: (proxy: FaultProxy) => Promise<void> | void;
  readonly faultMs: number;
  /** How long the load goes on after the fault. */
  readonly afterMs: number;
  /** From the fault's end, how long the service may take to answer only 2xx again. */
  readonly recoveryMs: number;
}

/**
 * The outage scenario (helpers/outage-scenario.ts) with `fault` between the service and MariaDB:
 * every request answered within 6 s (503 during the fault), readiness 503 and back, recovery
 * without a restart, every write answered 2xx in the database. The MariaDB leg only: SQLite has
 * no network to fault.
 */
export function describeDatabaseFault(fault: DatabaseFault): void {
  if (!testDatabaseKinds().includes('mysql')) return;
  describe(`fault: ${fault.what} for ${fault.faultMs / 1000} s`, () => {
    let service: ProxiedApp;

    beforeAll(async () => {
      service = await startProxiedApp();
    });

    afterAll(async () => {
      await service?.close();
    });

    it(`should answer 503 within 6 s during ${fault.during}, and recover by itself, losing no 2xx write`, async () => {
      const timeline = await runOutageScenario({
        baseUrl: service.baseUrl,
        token: service.token,
        knownImageId: service.knownImageId,
        injectFault: () => fault.inject(service.proxy),
        endFault: () => service.proxy.restore(),
        beforeMs: 2_000,
        faultMs: fault.faultMs,
        afterMs: fault.afterMs,
      });
      process.stdout.write(`${fault.what}: ${summarize(timeline)}\n`);
      await expectSurvivedOutage(timeline, service.database.config, fault.recoveryMs);
    }, 120_000);
  });
}
