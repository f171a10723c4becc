import { connect, ConnectionOptions, Events, NatsConnection } from 'nats';
import { BackoffOptions, describeError, ImageClientLogger, loggerOf } from '../backoff';
import { closedClientError, ImageClientUnavailableError } from '../errors';

/** How a client or a consumer reaches NATS. */
export interface NatsConnectionOptions {
  /**
   * Every nats.js connect option (`servers`, `user`/`pass`, `token`, `authenticator`, `tls`,
   * `name`...). On top of nats.js' defaults: `maxReconnectAttempts: -1` (reconnect forever),
   * `reconnectDelayHandler` (backoff with jitter, see `reconnect`), `timeout: 5000`,
   * `pingInterval: 15000`, `maxPingOut: 2` (a silent broker is noticed within about 30 s).
   * Anything given here wins.
   */
  readonly nats?: ConnectionOptions;
  /**
   * An existing connection to use instead (it is not closed by `close()`). Give it
   * `maxReconnectAttempts: -1` for it to survive outages.
   */
  readonly connection?: NatsConnection;
  /** Reconnect backoff: from `minDelayMs` (250) growing to `maxDelayMs` (5000), with jitter. */
  readonly reconnect?: Partial<BackoffOptions>;
  /** Where connection losses and returns are reported (`console` by default; `false`: nowhere). */
  readonly logger?: ImageClientLogger | false;
}

const DEFAULT_RECONNECT: BackoffOptions = { minDelayMs: 250, maxDelayMs: 5000 };

/**
 * One NATS connection kept alive: dialled on first use, re-established by nats.js after any
 * outage (forever, with backoff and jitter), dialled again if it ever closes for good. While it
 * is down, `get()` fails at once with a 503 instead of queueing work for later.
 */
export class NatsConnectionKeeper {
  private readonly logger: ImageClientLogger;
  private readonly reconnect: BackoffOptions;
  private connection?: NatsConnection;
  private dialing?: Promise<NatsConnection>;
  private available = false;
  private disconnectedAt?: number;
  private failedDials = 0;
  private nextDialAt = 0;
  private lastError?: unknown;
  private closed = false;
  private readonly lossListeners = new Set<(reason: string) => void>();

  constructor(
    private readonly options: NatsConnectionOptions,
    private readonly defaultName: string,
  ) {
    this.logger = loggerOf(options.logger);
    this.reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    if (options.connection !== undefined) this.adopt(options.connection);
  }

  /** Whether the connection is up right now. */
  get isConnected(): boolean {
    return this.connection !== undefined && this.available;
  }

  /** The connection, once up; a 503 `ImageClientUnavailableError` while it is not. */
  get(): Promise<NatsConnection> {
    if (this.closed) return Promise.reject(closedClientError());
    if (this.connection !== undefined) {
      if (this.available) return Promise.resolve(this.connection);
      return Promise.reject(unavailable('the connection to NATS is lost; reconnecting'));
    }
    if (this.options.connection !== undefined) {
      return Promise.reject(unavailable('the NATS connection it was given is closed'));
    }
    if (this.dialing !== undefined) return this.dialing;
    if (Date.now() < this.nextDialAt) {
      return Promise.reject(unavailable(`NATS is unreachable: ${describeError(this.lastError)}`));
    }
    this.dialing = this.dial().finally(() => {
      this.dialing = undefined;
    });
    return this.dialing;
  }

  /** Calls `listener` whenever the connection is lost; returns the function that stops it. */
  onLoss(listener: (reason: string) => void): () => void {
    this.lossListeners.add(listener);
    return () => {
      this.lossListeners.delete(listener);
    };
  }

  /** Closes the connection (unless it was given); `get()` fails afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection ?? (await this.dialing?.catch(() => undefined));
    this.connection = undefined;
    if (connection !== undefined && this.options.connection === undefined) {
      if (!connection.isClosed()) await connection.close();
    }
  }

  private async dial(): Promise<NatsConnection> {
    try {
      const connection = await connect({
        name: this.defaultName,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => this.reconnectDelay(),
        timeout: 5000,
        pingInterval: 15_000,
        maxPingOut: 2,
        ...this.options.nats,
      });
      if (this.closed) {
        await connection.close();
        throw unavailable('the client is closed');
      }
      if (this.failedDials > 0) this.logger.log(`Connected to NATS ${connection.getServer()}`);
      this.failedDials = 0;
      this.adopt(connection);
      return connection;
    } catch (error) {
      if (error instanceof ImageClientUnavailableError) throw error;
      this.lastError = error;
      this.nextDialAt =
        Date.now() +
        Math.min(this.reconnect.maxDelayMs, this.reconnect.minDelayMs * 2 ** this.failedDials);
      this.failedDials += 1;
      if (this.failedDials === 1) {
        this.logger.warn(`NATS is unreachable (retrying on use): ${describeError(error)}`);
      }
      throw unavailable(`NATS is unreachable: ${describeError(error)}`, error);
    }
  }

  /**
   * nats.js asks before each dial how long to wait since the last one: a delay that grows with
   * the time spent disconnected (so attempts thin out from `minDelayMs` to `maxDelayMs`), jittered.
   */
  private reconnectDelay(): number {
    const elapsed = this.disconnectedAt === undefined ? 0 : Date.now() - this.disconnectedAt;
    const base = Math.min(this.reconnect.maxDelayMs, Math.max(this.reconnect.minDelayMs, elapsed));
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  private adopt(connection: NatsConnection): void {
    this.connection = connection;
    this.available = !connection.isClosed();
    void this.follow(connection);
    void connection.closed().then((error) => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.available = false;
      if (!this.closed) {
        this.logger.warn(
          `The NATS connection closed${error ? `: ${describeError(error)}` : ''}; it is dialled again on next use`,
        );
      }
      this.lost('the connection to NATS closed');
    });
  }

  private async follow(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (this.connection !== connection) return;
      if (status.type === Events.Disconnect) {
        this.available = false;
        this.disconnectedAt = Date.now();
        this.logger.warn(`Lost the connection to NATS ${serverOf(status.data)}; reconnecting`);
        this.lost('the connection to NATS was lost');
      } else if (status.type === Events.Reconnect) {
        this.available = true;
        const seconds = ((Date.now() - (this.disconnectedAt ?? Date.now())) / 1000).toFixed(1);
        this.disconnectedAt = undefined;
        this.logger.log(`Reconnected to NATS ${serverOf(status.data)} after ${seconds} s`);
      }
    }
  }

  private lost(reason: string): void {
    for (const listener of [...this.lossListeners]) listener(reason);
  }
}

/** The server a status event names (`127.0.0.1:4222`). */
function serverOf(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

function unavailable(detail: string, cause?: unknown): ImageClientUnavailableError {
  return new ImageClientUnavailableError(
    503,
    `The Image API could not be reached: ${detail}.`,
    cause,
  );
}
