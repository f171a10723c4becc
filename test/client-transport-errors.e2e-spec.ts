import { createServer, Server } from 'node:net';
import { once } from 'node:events';
import {
  ImageClient,
  ImageClientError,
  ImageClientUnavailableError,
  isRetryableImageClientError,
} from '@image-api/client';
import { connect, NatsConnection } from 'nats';
import { uniqueNatsNames } from './helpers/messaging';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';

/**
 * The failures of `@image-api/client` that are not the API's answers, against real servers: a
 * reply that never comes is a 504 after the timeout; a broker or a TCP listener that is not there
 * is a 503 at once, and the client keeps trying on later calls.
 */
const { subjectPrefix } = uniqueNatsNames();

describe('@image-api/client transport failures', () => {
  let silent: NatsConnection;
  /** A port with nothing listening (until the last TCP test listens on it). */
  let closedPort: number;

  /** A NATS server of this file's own (never the machine's shared one). */
  let broker: OwnNatsServer;
  let natsUrl: string;

  beforeAll(async () => {
    closedPort = await stablePort();
    broker = new OwnNatsServer(await stablePort());
    await broker.start();
    natsUrl = broker.url;
    // Takes image.list requests and never answers them.
    silent = await connect({ servers: natsUrl });
    silent.subscribe(`${subjectPrefix}image.list`);
    await silent.flush();
  });

  afterAll(async () => {
    await silent?.close();
    await broker?.dispose();
  });

  it('should fail with a 504 ImageClientUnavailableError when the reply does not come in time', async () => {
    const client = new ImageClient({
      nats: { servers: natsUrl },
      subjectPrefix,
      timeoutMs: 300,
      logger: false,
    });
    try {
      const started = Date.now();
      const error: unknown = await client.list().catch((failure: unknown) => failure);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(error).toBeInstanceOf(ImageClientUnavailableError);
      expect(error).toMatchObject({
        status: 504,
        message: 'The Image API did not answer within 300 ms.',
      });
      // A per-call timeout instead of the client's.
      await expect(client.list(undefined, { timeoutMs: 100 })).rejects.toMatchObject({
        status: 504,
        message: 'The Image API did not answer within 100 ms.',
      });
    } finally {
      await client.close();
    }
  });

  it('should fail at once with a 503 while the broker cannot be reached, and try again later', async () => {
    const client = new ImageClient({
      nats: { servers: `nats://127.0.0.1:${closedPort}` },
      timeoutMs: 5000,
      reconnect: { minDelayMs: 50, maxDelayMs: 50 },
      logger: false,
    });
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const started = Date.now();
        const error: unknown = await client.show(1).catch((failure: unknown) => failure);
        expect(Date.now() - started).toBeLessThan(1000);
        expect(error).toBeInstanceOf(ImageClientUnavailableError);
        expect(error).toMatchObject({ status: 503 });
        expect((error as Error).message).toMatch(
          /^The Image API could not be reached: NATS is unreachable: /,
        );
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    } finally {
      await client.close();
    }
    // The caller's mistake, which no retry mends: not a retryable 503 (found by a probe).
    const closed: unknown = await client.show(1).catch((failure: unknown) => failure);
    expect(closed).toEqual(
      new Error('The client is closed: make a new ImageClient to call the Image API again.'),
    );
    expect(isRetryableImageClientError(closed)).toBe(false);
  });

  it('should fail with a 503 over TCP when nothing listens, and connect once something does', async () => {
    const client = new ImageClient({ transport: 'tcp', port: closedPort, timeoutMs: 500 });
    let server: Server | undefined;
    try {
      const error: unknown = await client.show(1).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(ImageClientUnavailableError);
      expect(error).toMatchObject({ status: 503 });

      // A listener that answers Nest's framing: `<length>#{"id", "response", "isDisposed"}`.
      server = createServer((socket) => {
        socket.on('data', (chunk: Buffer) => {
          const packet = JSON.parse(chunk.toString().replace(/^\d+#/, '')) as { id: string };
          const reply = JSON.stringify({
            id: packet.id,
            response: { image: 'é' },
            isDisposed: true,
          });
          socket.write(`${reply.length}#${reply}`);
        });
      });
      server.listen(closedPort, '127.0.0.1');
      await once(server, 'listening');
      expect(await client.show(1)).toEqual({ image: 'é' });
    } finally {
      await client.close();
      server?.close();
    }
  });

  it('should send the JWT of a write in the NATS header Authorization, not in the payload', async () => {
    const received: { authorization?: string; data: unknown }[] = [];
    const listener = await connect({ servers: natsUrl });
    listener.subscribe(`${subjectPrefix}image.delete`, {
      callback: (_error, message) => {
        const packet = JSON.parse(new TextDecoder().decode(message.data)) as {
          id: string;
          data: unknown;
        };
        received.push({ authorization: message.headers?.get('Authorization'), data: packet.data });
        message.respond(
          new TextEncoder().encode(
            JSON.stringify({ id: packet.id, response: { image: {} }, isDisposed: true }),
          ),
        );
      },
    });
    await listener.flush();
    const client = new ImageClient({ nats: { servers: natsUrl }, subjectPrefix });
    try {
      await client.delete('the.jwt', 5);
      await client.delete('Bearer the.jwt', 6);
      expect(received).toEqual([
        { authorization: 'Bearer the.jwt', data: { id: 5 } },
        { authorization: 'Bearer the.jwt', data: { id: 6 } },
      ]);
    } finally {
      await client.close();
      await listener.close();
    }
  });

  // Found by a probe: these threw synchronously, became a retryable 503, or waited out the
  // connection attempt (5 s) whatever the call's timeout.
  describe("the caller's mistakes and slow connections", () => {
    it('should send a null query as none, and reject (not throw) a query it cannot read', async () => {
      const received: unknown[] = [];
      const listener = await connect({ servers: natsUrl });
      listener.subscribe(`${subjectPrefix}image.*`, {
        callback: (_error, message) => {
          const packet = JSON.parse(new TextDecoder().decode(message.data)) as {
            id: string;
            data: unknown;
          };
          received.push(packet.data);
          message.respond(
            new TextEncoder().encode(
              JSON.stringify({ id: packet.id, response: {}, isDisposed: true }),
            ),
          );
        },
      });
      await listener.flush();
      const client = new ImageClient({ nats: { servers: natsUrl }, subjectPrefix });
      try {
        await client.list(null as never);
        await client.show(3, null as never);
        expect(received).toEqual([{}, { id: 3 }]);
        const pending = client.list({ filter: null } as never);
        expect(pending).toBeInstanceOf(Promise);
        await expect(pending).rejects.toBeInstanceOf(TypeError);
      } finally {
        await client.close();
        await listener.close();
      }
    });

    it('should refuse data JSON cannot hold with a 400 that is not retried, sending nothing', async () => {
      for (const client of [
        new ImageClient({ nats: { servers: natsUrl }, subjectPrefix, timeoutMs: 300 }),
        new ImageClient({ transport: 'tcp', port: closedPort, timeoutMs: 300 }),
      ]) {
        try {
          const error: unknown = await client
            .create('t', { path: 10n, facet: 'Cover' } as never)
            .catch((failure: unknown) => failure);
          expect(error).toBeInstanceOf(ImageClientError);
          expect(error).not.toBeInstanceOf(ImageClientUnavailableError);
          expect(error).toMatchObject({
            status: 400,
            message:
              "The call's data cannot be sent as JSON: Do not know how to serialize a BigInt.",
          });
        } finally {
          await client.close();
        }
      }
    });

    it('should refuse a timeout that is no positive number of milliseconds a timer can hold', async () => {
      expect(() => new ImageClient({ transport: 'tcp', port: closedPort, timeoutMs: 0 })).toThrow(
        'timeoutMs must be a positive number of milliseconds, at most 2147483647 (got 0)',
      );
      // Found by a probe: Node fires a longer timer after 1 ms, so every call failed at once.
      expect(
        () => new ImageClient({ transport: 'tcp', port: closedPort, timeoutMs: 2_147_483_648 }),
      ).toThrow(
        'timeoutMs must be a positive number of milliseconds, at most 2147483647 (got 2147483648)',
      );
      expect(
        () => new ImageClient({ transport: 'tcp', port: closedPort, timeoutMs: 2_147_483_647 }),
      ).not.toThrow();
      const client = new ImageClient({ transport: 'tcp', port: closedPort });
      try {
        await expect(client.show(1, undefined, { timeoutMs: -5 })).rejects.toThrow(
          'timeoutMs must be a positive number of milliseconds, at most 2147483647 (got -5)',
        );
        await expect(client.show(1, undefined, { timeoutMs: 3e9 })).rejects.toThrow(
          'timeoutMs must be a positive number of milliseconds, at most 2147483647 (got 3000000000)',
        );
      } finally {
        await client.close();
      }
    });

    it("should give up on a NATS connection that does not come within the call's timeout: 503", async () => {
      // Accepts connections and never says a word (NATS would send its INFO first).
      const mute = createServer(() => undefined);
      mute.listen(0, '127.0.0.1');
      await once(mute, 'listening');
      const port = (mute.address() as { port: number }).port;
      const client = new ImageClient({
        nats: { servers: `nats://127.0.0.1:${port}` },
        timeoutMs: 300,
        logger: false,
      });
      try {
        const started = Date.now();
        const error: unknown = await client.show(1).catch((failure: unknown) => failure);
        expect(Date.now() - started).toBeLessThan(2000);
        expect(error).toBeInstanceOf(ImageClientUnavailableError);
        expect(error).toMatchObject({
          status: 503,
          message: 'The Image API could not be reached: no connection within 300 ms.',
        });
      } finally {
        await client.close();
        mute.close();
      }
    }, 15_000);
  });
});
