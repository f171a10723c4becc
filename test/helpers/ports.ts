import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * The ports the servers this project's hardening tests start may use (docs/operations.md): a
 * range of their own, so that test files running side by side (and other suites on the machine)
 * never take each other's ports.
 */
export const TEST_PORT_RANGE = { first: 34100, last: 34199 } as const;

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  const outcome = await Promise.race([
    once(server, 'listening').then(() => true),
    once(server, 'error').then(() => false),
  ]);
  if (outcome) {
    server.close();
    await once(server, 'close');
  }
  return outcome;
}

/**
 * A port of the range that is free now, tried from a random place in it. Another process may
 * still take it before the caller binds it; callers bind at once.
 */
export async function freePortInRange(): Promise<number> {
  const size = TEST_PORT_RANGE.last - TEST_PORT_RANGE.first + 1;
  const start = Math.floor(Math.random() * size);
  for (let offset = 0; offset < size; offset += 1) {
    const port = TEST_PORT_RANGE.first + ((start + offset) % size);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${TEST_PORT_RANGE.first}-${TEST_PORT_RANGE.last}`);
}
