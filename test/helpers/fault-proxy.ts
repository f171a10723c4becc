import { once } from 'node:events';
import { connect, createServer, Server, Socket } from 'node:net';
import { stablePort } from './ports';

/** One client connection and its connection upstream. */
interface Link {
  readonly client: Socket;
  upstream?: Socket;
}

type Mode = 'forwarding' | 'cut' | 'dropping' | 'holding replies';

/** A one-shot reset: the connection that next sends `text` is reset `delayMs` after it went on. */
interface ResetAfter {
  readonly text: string;
  readonly delayMs: number;
  /** Whether the bytes holding `text` reach the server before the reset. */
  readonly deliver: boolean;
}

/**
 * A TCP proxy a test puts between the service and a server (MariaDB), to inject network faults
 * the service must survive (docs/operations.md):
 *
 * - `cut()`: every connection is reset and new ones are refused, as when the server or its host
 *   goes down;
 * - `drop()`: nothing is forwarded any more, in either direction, and nothing is closed: open
 *   connections go silent and new ones are accepted but never reach the server, as in a network
 *   partition that drops packets;
 * - `holdReplies()`: what the service sends still reaches the server, but nothing comes back, as
 *   when the server has run a statement and its answer is slow to arrive;
 * - `resetAfterSending(text)` / `resetInsteadOfSending(text)`: the connection that sends `text`
 *   is reset after the server got it, or instead of its getting it;
 * - `restore()`: back to forwarding; after a drop, what was held back is delivered (as TCP
 *   retransmits once a partition heals) and connections accepted meanwhile reach the server.
 *
 * It listens on a `stablePort()`, the same one after a cut: a port the kernel hands to nobody
 * else while the proxy is cut.
 */
export class FaultProxy {
  private server?: Server;
  private readonly links = new Set<Link>();
  private mode: Mode = 'forwarding';
  private listeningPort = 0;
  private resetAfter?: ResetAfter;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  get port(): number {
    return this.listeningPort;
  }

  get state(): Mode {
    return this.mode;
  }

  async start(): Promise<void> {
    if (this.listeningPort === 0) this.listeningPort = await stablePort();
    await this.listen();
  }

  /** Resets every connection and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    this.mode = 'cut';
    for (const link of this.links) {
      link.client.resetAndDestroy();
      link.upstream?.destroy();
    }
    this.links.clear();
    await this.closeServer();
  }

  /** Stops forwarding without closing anything, until `restore()`. */
  drop(): void {
    this.mode = 'dropping';
    for (const link of this.links) {
      link.client.pause();
      link.upstream?.pause();
    }
  }

  /** Forwards to the server, but holds what it answers, until `restore()`. */
  holdReplies(): void {
    this.mode = 'holding replies';
    for (const link of this.links) link.upstream?.pause();
  }

  /**
   * Forwards as before, but the first connection that sends `text` (`COMMIT`) has it delivered and
   * is then reset, `delayMs` later, before the answer can come back: a write whose outcome the
   * service cannot know.
   */
  resetAfterSending(text: string, delayMs = 200): void {
    this.resetAfter = { text, delayMs, deliver: true };
  }

  /**
   * The first connection that sends `text` is reset at once, and what held it never reaches the
   * server: a `COMMIT` the server never saw, whose outcome the service cannot know either.
   */
  resetInsteadOfSending(text: string): void {
    this.resetAfter = { text, delayMs: 0, deliver: false };
  }

  /** Forwards again: after a cut, on the same port; after a drop, with what was held back. */
  async restore(): Promise<void> {
    const previous = this.mode;
    this.mode = 'forwarding';
    if (previous === 'cut') {
      await this.listen();
      return;
    }
    for (const link of this.links) {
      if (link.upstream === undefined) this.connectUpstream(link);
      link.client.resume();
      link.upstream?.resume();
    }
  }

  /** Closes everything for good. */
  async stop(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    this.links.clear();
    await this.closeServer();
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.listen(this.listeningPort, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.close();
    await once(server, 'close');
  }

  private accept(client: Socket): void {
    const link: Link = { client };
    this.links.add(link);
    client.on('error', () => this.unlink(link));
    client.on('close', () => this.unlink(link));
    if (this.mode === 'dropping') {
      // Accepted, but nothing reaches the server until restore().
      client.pause();
    } else {
      this.connectUpstream(link);
    }
  }

  private connectUpstream(link: Link): void {
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    link.upstream = upstream;
    upstream.on('error', () => this.unlink(link));
    upstream.on('close', () => this.unlink(link));
    if (this.mode === 'holding replies') upstream.pause();
    // Forwarded by hand, not piped: pause() must hold the bytes, and pipe() resumes on drain.
    link.client.on('data', (chunk: Buffer) => {
      const reset = this.resetAfter;
      if (reset !== undefined && chunk.includes(reset.text, 0, 'latin1')) {
        this.resetAfter = undefined;
        if (!reset.deliver) {
          link.client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        upstream.pause();
        setTimeout(() => {
          link.client.resetAndDestroy();
          upstream.destroy();
        }, reset.delayMs);
      }
      if (!upstream.write(chunk)) link.client.pause();
    });
    upstream.on('drain', () => {
      if (this.mode === 'forwarding') link.client.resume();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.client.write(chunk)) upstream.pause();
    });
    link.client.on('drain', () => {
      if (this.mode === 'forwarding') upstream.resume();
    });
  }

  private unlink(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }
}
