import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A port that is free now, as the kernel hands one out (listening on port 0), for the servers the
 * hardening tests start. A fixed port or a small range of our own is not safe: those ports lie in
 * Linux's ephemeral range (32768–60999), where any outgoing connection or a test file running side
 * by side may hold one; the kernel's pick is free by construction. Callers bind it at once.
 */
export async function freePortInRange(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
