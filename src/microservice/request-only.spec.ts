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
  /** The server with a logger that records the level of each line. */
  function recorded() {
    const server = new RequestOnlyTcpServer({ port: 0 });
    const lines: [string, string][] = [];
    const logger = {
      log: (message: unknown) => lines.push(['log', String(message)]),
      warn: (message: unknown) => lines.push(['warn', String(message)]),
      error: (message: unknown) => lines.push(['error', String(message)]),
    };
    Object.assign(server, { logger });
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
    const lines: [string, string][] = [];
    Object.assign(server, {
      logger: {
        log: (message: unknown) => lines.push(['log', String(message)]),
        warn: (message: unknown) => lines.push(['warn', String(message)]),
        error: (message: unknown) => lines.push(['error', String(message)]),
      },
    });
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
