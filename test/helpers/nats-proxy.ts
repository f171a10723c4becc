import { once } from 'node:events';
import { connect, createServer, Server, Socket } from 'node:net';
import { stablePort } from './ports';

/**
 * A TCP proxy in front of the NATS server that a test can cut and restore, so the service sees
 * the broker go away and come back (on the same `stablePort()`, which the kernel hands to nobody
 * else meanwhile) without touching the real server.
 */
export class NatsProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  /** Bytes held while frozen, per socket they are for, in order. */
  private held?: Map<Socket, Buffer[]>;

  constructor(
    private readonly upstreamHost = '127.0.0.1',
    private readonly upstreamPort = 4222,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Accepts connections again (the first time on a free port, then on the same one). */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await stablePort();
    const server = createServer((client) => {
      const upstream = connect(this.upstreamPort, this.upstreamHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk: Buffer) => {
          const held = this.held;
          if (held === undefined) to.write(chunk);
          else held.set(to, [...(held.get(to) ?? []), chunk]);
        });
      forward(client, upstream);
      forward(upstream, client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  /**
   * The broker goes silent (a frozen process, a partition): connections stay open and nothing
   * passes either way until `thaw()` hands over what was held.
   */
  freeze(): void {
    this.held ??= new Map();
  }

  thaw(): void {
    const held = this.held;
    this.held = undefined;
    for (const [socket, chunks] of held ?? []) for (const chunk of chunks) socket.write(chunk);
  }

  /** The broker is unreachable: open connections drop, new ones are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) {
      server.close();
      await once(server, 'close');
    }
  }
}
