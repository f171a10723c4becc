import { connect } from 'node:net';
import { echoClient, eventually } from '../helpers/echo-server';
import { describeDatabaseFault, withProxiedEcho } from './database-fault';

/**
 * Fault (a) of issue 19: under a read+write load, every connection to MariaDB is cut (reset, and
 * new ones refused) for 10 s, through a proxy the test owns. Every request answers within 6 s (503
 * during the fault), readiness goes 503 and back, the service recovers without a restart, and
 * every write answered 2xx is in the database. MariaDB leg only (SQLite has no network).
 */
describe('the fault proxy cutting connections', () => {
  it('should forward, reset every connection and refuse new ones, then accept on the same port', async () => {
    await withProxiedEcho(async (proxy, client) => {
      await proxy.cut();
      await eventually(() => client.closed());
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
      await eventually(() => again.received() === 'back');
      expect(again.received()).toBe('back');
      again.socket.destroy();
    });
  });
});

describeDatabaseFault({
  what: 'the database connections are cut',
  during: 'the cut',
  inject: (proxy) => proxy.cut(),
  faultMs: 10_000,
  afterMs: 8_000,
  recoveryMs: 3_000,
});
