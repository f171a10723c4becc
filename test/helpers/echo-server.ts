import { once } from 'node:events';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/** A TCP echo server on a port the kernel picks, to prove the fault proxy against. */
export async function startEchoServer(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, server };
}

/** A connected client socket collecting what it receives. */
export async function echoClient(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return { socket, received: () => text, closed: () => closed };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `condition` holds, at most `withinMs` (a loaded machine can take well over 100 ms to
 * pass bytes through the proxy and back); the caller then asserts what it expected.
 */
export async function eventually(condition: () => boolean, withinMs = 2_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!condition() && Date.now() < end) await pause(10);
}
