import { connect, type Socket } from 'node:net';
import { listeningTestApp } from './helpers/test-app';

/**
 * Found by a probe: nothing capped the HTTP connections, so one client holding ~20,000 open (idle
 * keep-alives, answered once every 70 s) used up the process's file descriptors and no one else
 * could connect; holding bodies it never finished, ~1 MB of memory each.
 */

/** A connection that asked `GET /health` once and holds on, or was closed unanswered. */
async function openConnection(port: number): Promise<{ socket: Socket; answered: boolean }> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  const answered = await new Promise<boolean>((resolve) => {
    let text = '';
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n\r\n') && text.endsWith('}'))
        resolve(text.startsWith('HTTP/1.1 200 '));
    });
    socket.on('close', () => resolve(false));
    socket.on('error', () => resolve(false));
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
  return { socket, answered };
}

async function closeAll(sockets: Socket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.once('close', () => resolve());
          socket.destroy();
        }),
    ),
  );
}

describe.each([
  ['MAX_CONNECTIONS_PER_IP', { MAX_CONNECTIONS_PER_IP: '3' }],
  ['MAX_CONNECTIONS', { MAX_CONNECTIONS: '3', MAX_CONNECTIONS_PER_IP: '0' }],
])('%s [sqlite]', (_name, env) => {
  const port = listeningTestApp({ env });

  it('should close connections over the limit unanswered, and take new ones once others closed', async () => {
    const held: Socket[] = [];
    try {
      const answers: boolean[] = [];
      for (let index = 0; index < 5; index += 1) {
        const { socket, answered } = await openConnection(port());
        held.push(socket);
        answers.push(answered);
      }
      expect(answers).toEqual([true, true, true, false, false]);
      await closeAll(held.splice(0, 1));
      // The server hears of the close a moment later.
      let again = await openConnection(port());
      for (let tries = 0; !again.answered && tries < 20; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        again = await openConnection(port());
      }
      held.push(again.socket);
      expect(again.answered).toBe(true);
      expect((await openConnection(port())).answered).toBe(false);
    } finally {
      await closeAll(held);
    }
  });
});
