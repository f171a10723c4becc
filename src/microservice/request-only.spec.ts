import { once } from 'node:events';
import type { Server } from 'node:net';
import { type AddressInfo, connect } from 'node:net';
import { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception';
import { InFlight, RequestOnlyTcpServer, shortenedReply } from './request-only';

describe('shortenedReply', () => {
  it('should keep an error short enough as it is, dropping its errors', () => {
    expect(
      shortenedReply({ err: { status: 422, message: 'Bad.', errors: { a: ['x'.repeat(5)] } } }),
    ).toEqual({ err: { status: 422, message: 'Bad.' }, isDisposed: true });
  });

  it("should cut an error's message at 1,000 characters and say so", () => {
    const message = `Image ${'9'.repeat(2000)} not found.`;
    expect(shortenedReply({ err: { status: 404, message } })).toEqual({
      err: {
        status: 404,
        message: `${message.slice(0, 1000)}… (shortened: the whole reply was too large to send)`,
      },
      isDisposed: true,
    });
  });

  it('should answer a 413 in place of an answer that was too large', () => {
    expect(shortenedReply({ response: { images: [] } })).toEqual({
      err: {
        status: 413,
        message:
          'The reply is larger than the message broker accepts: ask for less (fewer rows, fields or includes).',
      },
      isDisposed: true,
    });
  });
});

/** Starts `server` listening and resolves to its port. */
async function listening(server: RequestOnlyTcpServer): Promise<number> {
  await new Promise<void>((resolve, reject) =>
    server.listen((error?: unknown) =>
      error === undefined
        ? resolve()
        : reject(error instanceof Error ? error : new Error('listen')),
    ),
  );
  return ((server as unknown as { server: Server }).server.address() as AddressInfo).port;
}

describe('RequestOnlyTcpServer', () => {
  /** Gives `server` a logger that records each line with its level; returns the lines. */
  function recordLines(server: RequestOnlyTcpServer): [string, string][] {
    const lines: [string, string][] = [];
    const logger = {
      log: (message: unknown) => lines.push(['log', String(message)]),
      warn: (message: unknown) => lines.push(['warn', String(message)]),
      error: (message: unknown) => lines.push(['error', String(message)]),
    };
    Object.assign(server, { logger });
    return lines;
  }

  /** The server with a logger that records the level of each line. */
  function recorded() {
    const server = new RequestOnlyTcpServer({ port: 0 });
    const lines = recordLines(server);
    const handleError = (error: unknown) =>
      (server as unknown as { handleError(error: unknown): void }).handleError(error);
    return { lines, handleError };
  }

  it("should log a client's malformed frame as a warning, not an error", () => {
    const { lines, handleError } = recorded();
    handleError(new InvalidTcpDataReceptionException(new Error('Unexpected token a in JSON')));
    expect(lines).toEqual([
      [
        'warn',
        'A TCP client sent data that is not a packet; its connection is closed: The invalid received message from tcp server',
      ],
    ]);
  });

  // Found by a probe: idle connections stayed open for ever, and enough of them used up the
  // process's file descriptors, HTTP's included.
  it('should close an idle connection, and hold no more connections than its limit', async () => {
    const server = new RequestOnlyTcpServer(
      { host: '127.0.0.1', port: 0 },
      { idleTimeoutMs: 300, maxConnections: 2 },
    );
    Object.assign(server, { logger: { log: () => undefined, warn: () => undefined } });
    const port = await listening(server);
    const open = async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const closedAt = once(socket, 'close').then(() => Date.now());
      return { socket, closedAt };
    };
    try {
      const started = Date.now();
      const first = await open();
      const second = await open();
      const third = await open();
      // Over the limit: closed at once.
      expect((await third.closedAt) - started).toBeLessThan(250);
      // Idle: closed after the timeout.
      expect((await first.closedAt) - started).toBeGreaterThanOrEqual(250);
      expect((await second.closedAt) - started).toBeLessThan(2000);
    } finally {
      void server.close();
    }
  });

  // Found by a probe: a reset was logged as a frame that is not a packet.
  it('should log nothing when a client resets its connection, and warn of a bad frame', async () => {
    const server = new RequestOnlyTcpServer({ host: '127.0.0.1', port: 0 });
    const lines = recordLines(server);
    const port = await listening(server);
    try {
      const reset = connect(port, '127.0.0.1');
      await once(reset, 'connect');
      reset.write('100#{"id":"half');
      await new Promise((resolve) => setTimeout(resolve, 100));
      reset.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(lines).toEqual([]);
      const bad = connect(port, '127.0.0.1');
      await once(bad, 'connect');
      bad.write('3#abc');
      await once(bad, 'close');
      expect(lines).toEqual([
        [
          'warn',
          'A TCP client sent data that is not a packet; its connection is closed: The invalid received message from tcp server',
        ],
      ]);
    } finally {
      void server.close();
    }
  });

  /** A server answering `ping` (counting its runs), with its log lines recorded. */
  async function pinging(limits: ConstructorParameters<typeof RequestOnlyTcpServer>[1] = {}) {
    const server = new RequestOnlyTcpServer(
      { host: '127.0.0.1', port: 0, maxBufferSize: 1_000_000 },
      limits,
    );
    const lines = recordLines(server);
    const runs = { count: 0 };
    server.addHandler('ping', (data: unknown) => {
      runs.count += 1;
      return Promise.resolve({ pong: data });
    });
    return { server, lines, runs, port: await listening(server) };
  }

  /** Sends one frame on a new connection: its reply, or `closed` when the connection closed first. */
  async function exchange(port: number, json: string): Promise<unknown> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`${json.length}#${json}`);
    let received = '';
    return new Promise((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        const hash = received.indexOf('#');
        if (hash !== -1 && received.length - hash - 1 >= Number(received.slice(0, hash))) {
          socket.destroy();
          resolve(JSON.parse(received.slice(hash + 1)));
        }
      });
      socket.on('close', () => resolve('closed'));
    });
  }

  // Found by a probe: the reply repeated a deeply nested id, JSON.stringify overflowed the stack
  // and the process ended, HTTP with it.
  it('should close a connection whose packet id cannot be repeated in a reply, running nothing', async () => {
    const { server, lines, runs, port } = await pinging();
    try {
      const deep = `{"id":${'['.repeat(5000)}${']'.repeat(5000)},"pattern":"ping","data":1}`;
      await expect(exchange(port, deep)).resolves.toBe('closed');
      const long = JSON.stringify({ id: 'x'.repeat(254), pattern: 'ping', data: 2 });
      await expect(exchange(port, long)).resolves.toBe('closed');
      expect(runs.count).toBe(0);
      const longest = 'x'.repeat(253); // 255 characters as JSON
      await expect(
        exchange(port, JSON.stringify({ id: longest, pattern: 'ping', data: 3 })),
      ).resolves.toEqual({ id: longest, response: { pong: 3 }, isDisposed: true });
      expect(runs.count).toBe(1);
      const warning = [
        'warn',
        'A TCP client sent a packet whose id is over 255 characters as JSON; its connection is closed',
      ];
      expect(lines).toEqual([warning, warning]);
    } finally {
      void server.close();
    }
  });

  // Found by a probe: 300 connections each holding most of a 2 MB frame ran the heap out.
  it('should hold the unfinished frames of all connections to its budget, a piece read costing 64', async () => {
    const { server, lines, runs, port } = await pinging({ maxUnfinishedFrames: 10_000 });
    const open = async () => {
      const socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      await once(socket, 'connect');
      const closed = once(socket, 'close').then(() => true);
      return { socket, closed };
    };
    const until = async (check: () => boolean) => {
      for (let waited = 0; !check(); waited += 10) {
        if (waited > 5000) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      const first = await open();
      first.socket.write(`100000#${'a'.repeat(4000)}`);
      await until(() => server.unfinishedFrames === 4000 + 64);
      const second = await open();
      second.socket.write(`100000#${'b'.repeat(4000)}`);
      await until(() => server.unfinishedFrames === 2 * (4000 + 64));
      const third = await open();
      third.socket.write(`100000#${'c'.repeat(4000)}`);
      await expect(third.closed).resolves.toBe(true);
      expect(server.unfinishedFrames).toBe(2 * (4000 + 64));

      first.socket.destroy();
      await until(() => server.unfinishedFrames === 4000 + 64);
      // A byte at a time: each piece read costs its rope node, so 5,872 left last far fewer than
      // 5,872 bytes.
      const drip = await open();
      drip.socket.write('100000#');
      let sent = 0;
      while (!drip.socket.destroyed && sent < 400) {
        drip.socket.write('d');
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      await expect(drip.closed).resolves.toBe(true);
      expect(sent).toBeLessThan(400);
      expect(server.unfinishedFrames).toBe(4000 + 64);

      second.socket.destroy();
      await until(() => server.unfinishedFrames === 0);
      expect(runs.count).toBe(0);
      const overrun = [
        'warn',
        'The unfinished messages of all TCP connections would be over 10000 characters; the connection that sent the last part is closed',
      ];
      expect(lines).toEqual([overrun, overrun]);
      // Within the budget again: a request is answered.
      await expect(exchange(port, '{"id":"r","pattern":"ping","data":4}')).resolves.toEqual({
        id: 'r',
        response: { pong: 4 },
        isDisposed: true,
      });
    } finally {
      void server.close();
    }
  });

  it('should still log any other failure as an error', () => {
    const { lines, handleError } = recorded();
    handleError(new Error('boom'));
    expect(lines).toEqual([['error', 'Error: boom']]);
  });
});

describe('InFlight', () => {
  it('should resolve idle once every request is counted out, each once', async () => {
    const inFlight = new InFlight();
    await inFlight.idle();
    const first = inFlight.start();
    const second = inFlight.start();
    let idle = false;
    const waiting = inFlight.idle().then(() => (idle = true));
    first();
    first();
    await Promise.resolve();
    expect(idle).toBe(false);
    await expect(inFlight.run(() => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(idle).toBe(false);
    second();
    await waiting;
    expect(idle).toBe(true);
  });
});
