import { connect } from 'node:net';
import { echoClient, pause, startEchoServer } from '../helpers/echo-server';
import { FaultProxy } from '../helpers/fault-proxy';
import { expectSurvivedOutage, runOutageScenario, summarize } from '../helpers/outage-scenario';
import { ProxiedApp, startProxiedApp } from '../helpers/proxied-app';
import { testDatabaseKinds } from '../helpers/test-database';

/**
 * Fault (a) of issue 19: under a read+write load, every connection to MariaDB is cut (reset, and
 * new ones refused) for 10 s, through a proxy the test owns. Every request answers within 6 s (503
 * during the fault), readiness goes 503 and back, the service recovers without a restart, and
 * every write answered 2xx is in the database. MariaDB leg only (SQLite has no network).
 */
describe('the fault proxy cutting connections', () => {
  it('should forward, reset every connection and refuse new ones, then accept on the same port', async () => {
    const echo = await startEchoServer();
    const proxy = new FaultProxy('127.0.0.1', echo.port);
    await proxy.start();
    try {
      const client = await echoClient(proxy.port);
      client.socket.write('hello');
      await pause(100);
      expect(client.received()).toBe('hello');

      await proxy.cut();
      await pause(100);
      expect(client.closed()).toBe(true);
      const refused = await new Promise<string | undefined>((done) => {
        const socket = connect(proxy.port, '127.0.0.1');
        socket.on('connect', () => done('connected'));
        socket.on('error', (error: NodeJS.ErrnoException) => done(error.code));
      });
      expect(refused).toBe('ECONNREFUSED');

      await proxy.restore();
      const again = await echoClient(proxy.port);
      again.socket.write('back');
      await pause(100);
      expect(again.received()).toBe('back');
      again.socket.destroy();
    } finally {
      await proxy.stop();
      echo.server.close();
    }
  });
});

// The service's side needs a network to cut: the MariaDB leg only (SQLite has none).
if (testDatabaseKinds().includes('mysql'))
  describe('fault: the database connections are cut for 10 s', () => {
    let service: ProxiedApp;

    beforeAll(async () => {
      service = await startProxiedApp();
    });

    afterAll(async () => {
      await service?.close();
    });

    it('should answer 503 within 6 s during the cut, and recover by itself, losing no 2xx write', async () => {
      const timeline = await runOutageScenario({
        baseUrl: service.baseUrl,
        token: service.token,
        knownImageId: service.knownImageId,
        injectFault: () => service.proxy.cut(),
        endFault: () => service.proxy.restore(),
        beforeMs: 2_000,
        faultMs: 10_000,
        afterMs: 8_000,
      });
      process.stdout.write(`database cut: ${summarize(timeline)}\n`);
      await expectSurvivedOutage(timeline, service.database.config, 3_000);
    });
  });
