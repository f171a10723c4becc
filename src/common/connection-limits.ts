import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How often at most a refused connection is logged (a flood would otherwise flood the log). */
const LOG_INTERVAL_MS = 60_000;

/**
 * Caps the HTTP connections open at once: in all (Node's `maxConnections`, which closes any more)
 * and from one client address. Without them, a client holding connections open (idle keep-alives,
 * bodies it never finishes, each buffered up to 1 MB) used up the process's file descriptors, so
 * that no one else could connect, or its memory (found by a probe). Either cap closes the new
 * connection at once, unanswered, as a full listen queue would.
 */
export function limitConnections(
  server: Server,
  limits: { readonly total: number; readonly perAddress: number },
  warn: (message: string) => void,
): void {
  server.maxConnections = limits.total;
  let refused = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  const refuse = (why: string) => {
    refused += 1;
    const now = performance.now();
    if (now - loggedAt < LOG_INTERVAL_MS) return;
    warn(`refused ${refused} connection${refused === 1 ? '' : 's'}: ${why}`);
    loggedAt = now;
    refused = 0;
  };
  server.on('drop', () => refuse(`more than ${limits.total} open (MAX_CONNECTIONS)`));
  if (limits.perAddress === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.perAddress) {
      socket.destroy();
      refuse(`more than ${limits.perAddress} open from ${address} (MAX_CONNECTIONS_PER_IP)`);
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
