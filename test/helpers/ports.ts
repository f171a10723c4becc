import { readFileSync } from 'node:fs';
import { AddressInfo, connect, createServer } from 'node:net';
import { randomInt } from 'node:crypto';

/** Ports given to one Jest worker; each worker runs one test file at a time. */
const BLOCK = 100;

/** The first port of the kernel's ephemeral range (Linux's setting; the IANA range elsewhere). */
function ephemeralRangeStart(): number {
  try {
    return Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
  } catch {
    return 49152;
  }
}

let next: number | undefined;

function isFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '0.0.0.0');
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.once('listening', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port for a server the test names before it binds: a child process (nats-server,
 * redis-server, s3rver, mariadbd, the service) or a server that stops and must come back on the
 * same port. Not the kernel's pick (listen on 0): that lies in the ephemeral range, which the
 * kernel hands to any outgoing connection while the server is not (yet, or any more) listening,
 * and the server would fail with EADDRINUSE. Below that range the kernel hands out nothing; each
 * Jest worker takes ports of a block of its own, so test files running side by side never pick
 * the same one, and a file never gets the same port twice. Servers of this process that bind at
 * once listen on port 0 instead (`listenOnFreePort`).
 */
export async function stablePort(): Promise<number> {
  const worker = Number(process.env.JEST_WORKER_ID ?? '1') - 1;
  const below = ephemeralRangeStart();
  const blocks = Math.floor((below - 1024) / BLOCK);
  if (blocks < 1) throw new Error(`no room for test ports below the ephemeral range (${below})`);
  const first = below - ((worker % blocks) + 1) * BLOCK;
  // A random start in the block: two runs on one machine rarely meet.
  next ??= randomInt(BLOCK);
  for (let tried = 0; tried < BLOCK; tried += 1) {
    const port = first + (next % BLOCK);
    next += 1;
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${first}-${first + BLOCK - 1}`);
}

/** Listens on a port the kernel picks (free by construction) and answers it. */
export async function listenOnFreePort(app: {
  listen(port: number, host: string): Promise<unknown>;
  getHttpServer(): { address(): unknown };
}): Promise<number> {
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** Whether something accepts TCP connections on the port (127.0.0.1). */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
