import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { ServerTCP } from '@nestjs/microservices';
import { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception';
import { JsonSocket, type JsonSocketOptions } from '@nestjs/microservices/helpers/json-socket';
import { isShortPacketId, shortened, strayPacketField } from './image-message.deserializer';

/**
 * What a listener does with an event (a message that expects no reply: a TCP packet without an
 * `id`, a NATS message without a reply subject): the patterns answer requests only, so it is
 * dropped with a warning. Nest would run the handler (a write included) and answer no one, so
 * the sender could not tell whether anything happened.
 */
export function dropEvent(logger: Pick<Logger, 'warn'>, pattern: string): Promise<void> {
  // Cut short: a 1 MB pattern was logged whole (found by a probe).
  logger.warn(
    `A message for "${shortened(String(pattern))}" expects no reply and was dropped: send a request`,
  );
  return Promise.resolve();
}

/**
 * An idle TCP connection is closed after this long (a connection pool reconnects when it needs
 * one), and the listener holds at most `MAX_TCP_CONNECTIONS`: connections that sent nothing
 * stayed open for ever, and enough of them used up the process's file descriptors, so that HTTP,
 * `/health` included, answered nothing (found by a probe).
 */
export const TCP_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
export const MAX_TCP_CONNECTIONS = 1000;

/**
 * What the unfinished frames of all TCP connections may hold together, in characters plus
 * `CHUNK_COST` per piece read: each connection may hold a frame of 2 MB, and 300 connections
 * holding one each ran the 256 MB heap out and ended the process (found by a probe). The
 * connection whose data goes past it is closed. A piece read costs its own string and the rope
 * node joining it to the rest, so a frame sent a byte at a time costs far more than its length.
 */
export const MAX_UNFINISHED_FRAMES = 32 * 1024 * 1024;
const CHUNK_COST = 64;

/**
 * The requests one listener runs at once; more are answered 503 at once. One TCP connection or
 * one NATS publisher could otherwise start any number side by side (HTTP runs one per connection),
 * and 20,000 of them queued for the database pool, answered 503 after its wait and made HTTP
 * wait behind them (found by a probe). Above the pool's size, so a busy client still fills it.
 */
export const MAX_MESSAGES_IN_FLIGHT = 64;

/** What a request is answered past that, and while the listener shuts down: the HTTP side's 503. */
export const UNAVAILABLE = { status: 503, message: 'Service Unavailable.' };

/**
 * Nest's TCP listener, answering requests only (`dropEvent`), and closing as HTTP does: it stops
 * taking connections, answers later requests 503, and waits for the replies of the requests in
 * flight before it closes the sockets. Nest's own `close` closed them at once, so a write in
 * flight at SIGTERM committed and its caller heard only that the connection was lost.
 */
export class RequestOnlyTcpServer extends ServerTCP {
  private readonly inFlight = new InFlight();
  private closing = false;
  private readonly idleTimeoutMs: number;
  private readonly frames: FrameBudget;

  constructor(
    options: ConstructorParameters<typeof ServerTCP>[0],
    limits: { idleTimeoutMs?: number; maxConnections?: number; maxUnfinishedFrames?: number } = {},
  ) {
    super(options);
    this.idleTimeoutMs = limits.idleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS;
    this.server.maxConnections = limits.maxConnections ?? MAX_TCP_CONNECTIONS;
    this.frames = {
      held: 0,
      max: limits.maxUnfinishedFrames ?? MAX_UNFINISHED_FRAMES,
      overrun: () => {
        this.logger.warn(
          `The unfinished messages of all TCP connections would be over ${this.frames.max} characters; the connection that sent the last part is closed`,
        );
      },
    };
  }

  /** The listener's unfinished frames, counted as `MAX_UNFINISHED_FRAMES` counts them. */
  get unfinishedFrames(): number {
    return this.frames.held;
  }

  /** Nest's JSON socket with its framing options, sharing the listener's budget of frames. */
  protected override getSocketInstance(socket: Socket): JsonSocket {
    return new BudgetedJsonSocket(
      socket,
      {
        maxBufferSize: this.maxBufferSize,
        incompleteMessageTimeout: this.incompleteMessageTimeout,
        maxSendBufferSize: this.maxSendBufferSize,
      },
      this.frames,
    );
  }

  /**
   * Nest's `listen`, but any error of the listen fails the start: Nest's passed on `EADDRINUSE`
   * and `ECONNREFUSED` only, and start-up waited for ever, silently, on a host it could not bind
   * (`MICROSERVICE_HOST=8.8.8.8`, a name that does not resolve) or a port it may not use (found
   * by a probe).
   */
  override listen(callback: (error?: unknown) => void): void {
    const failed = (error: Error) => {
      this.server.off('listening', listening);
      callback(error);
    };
    const listening = () => {
      this.server.off('error', failed);
      callback();
    };
    this.server.once('error', failed);
    this.server.once('listening', listening);
    this.server.listen(this.port, this.host);
  }

  /**
   * Nest's `bindHandler`, but a connection the client reset (`ECONNRESET`, `EPIPE`) is its
   * hang-up, logged nowhere as a clean close is: Nest reported it as a frame that is not a packet
   * (found by a probe).
   */
  override bindHandler(socket: Socket): void {
    socket.setTimeout(this.idleTimeoutMs, () => socket.destroy());
    this.trackOpenSocket(socket);
    const readSocket = this.getSocketInstance(socket);
    readSocket.on('message', (message: unknown) => {
      // A frame read after the connection was closed for an earlier one is not run.
      if (socket.destroyed) return;
      const id = (message as { id?: unknown } | null)?.id;
      if (id !== undefined && !isShortPacketId(id)) {
        // The reply must repeat the id; one that cannot be repeated leaves nothing to answer.
        this.logger.warn(
          'A TCP client sent a packet whose id is over 255 characters as JSON; its connection is closed',
        );
        socket.destroy();
        return;
      }
      this.handleMessage(readSocket as never, message).catch((error: unknown) =>
        this.handleError(error as string),
      );
    });
    readSocket.on('error', (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ECONNRESET' || code === 'EPIPE') return;
      this.handleError(new InvalidTcpDataReceptionException(error as Error));
    });
  }

  override handleEvent(pattern: string): Promise<void> {
    return dropEvent(this.logger, pattern);
  }

  /**
   * A frame that is not a packet (not JSON, a corrupt length) is the client's mistake, and its
   * connection is closed: a warning, where Nest logged an error (any client could flood the
   * error log with one line per bad frame).
   */
  protected override handleError(error: unknown): void {
    // A listen that failed fails the start, which says so in its one line (`listen` above).
    if ((error as { syscall?: unknown } | null)?.syscall === 'listen') return;
    if (error instanceof InvalidTcpDataReceptionException) {
      this.logger.warn(
        `A TCP client sent data that is not a packet; its connection is closed: ${error.message}`,
      );
      return;
    }
    super.handleError(error as string);
  }

  override handleMessage(socket: JsonSocketLike, rawMessage: unknown): Promise<void> {
    if (this.closing || this.inFlight.size >= MAX_MESSAGES_IN_FLIGHT) {
      const packet = rawMessage as { id?: unknown } | null;
      if (typeof packet === 'object' && packet !== null && packet.id !== undefined) {
        socket.sendMessage({ id: packet.id, err: UNAVAILABLE, isDisposed: true });
      }
      return Promise.resolve();
    }
    const packet = rawMessage as { id?: unknown; pattern?: unknown } | null;
    const stray =
      typeof packet === 'object' && packet !== null ? strayPacketField(packet) : undefined;
    if (stray !== undefined) rawMessage = { id: packet!.id, pattern: packet!.pattern, data: stray };
    // Nest's TCP `handleMessage` may resolve before the reply is written (an asynchronous handler
    // result): the request is done when its reply goes through the socket.
    const finish = this.inFlight.start();
    const counted = Object.create(socket, {
      sendMessage: {
        value: (message: unknown) => {
          socket.sendMessage(message);
          finish();
        },
      },
    }) as JsonSocketLike;
    return super.handleMessage(counted as never, rawMessage).then(
      () => {
        // A packet without an id is dropped: it gets no reply.
        if ((rawMessage as { id?: unknown } | null)?.id === undefined) finish();
      },
      (error: unknown) => {
        finish();
        throw error;
      },
    );
  }

  // Nest awaits what `close` returns (NestMicroservice.close), though ServerTCP declares void.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override async close(): Promise<void> {
    this.closing = true;
    (this.server as { close?: () => void } | undefined)?.close?.();
    await this.inFlight.idle();
    super.close();
  }
}

/** What the unfinished frames of a listener's connections hold, against what they may. */
interface FrameBudget {
  held: number;
  readonly max: number;
  /** Says that a connection went past `max` (it is closed). */
  readonly overrun: () => void;
}

/** Nest's JSON socket, its unfinished frame counted in its listener's `FrameBudget`. */
class BudgetedJsonSocket extends JsonSocket {
  private cost = 0;
  private pieces = 0;
  private framed = false;

  constructor(
    socket: Socket,
    options: JsonSocketOptions,
    private readonly budget: FrameBudget,
  ) {
    super(socket, options);
    socket.once('close', () => this.hold(0));
  }

  protected override handleData(data: Buffer | string): void {
    this.framed = false;
    try {
      super.handleData(data);
    } finally {
      const unfinished = (this as unknown as { buffer: string }).buffer.length;
      // A frame taken out leaves the rest as one flat string: one piece from there on.
      this.pieces = unfinished === 0 ? 0 : this.framed ? 1 : this.pieces + 1;
      this.hold(unfinished === 0 ? 0 : unfinished + CHUNK_COST * this.pieces);
    }
    if (this.budget.held > this.budget.max) {
      this.hold(0);
      this.budget.overrun();
      this.socket.destroy();
    }
  }

  protected override emitMessage(data: string): void {
    this.framed = true;
    super.emitMessage(data);
  }

  private hold(cost: number): void {
    this.budget.held += cost - this.cost;
    this.cost = cost;
  }
}

/** The requests a listener is running; `idle()` resolves once none is. */
export class InFlight {
  private count = 0;

  /** The requests counted in now. */
  get size(): number {
    return this.count;
  }
  private readonly waiting: (() => void)[] = [];

  /** Counts a request in; the function returned counts it out (once, however often called). */
  start(): () => void {
    this.count += 1;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.count -= 1;
      if (this.count === 0) for (const resolve of this.waiting.splice(0)) resolve();
    };
  }

  /** Runs `work` counted in until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const finish = this.start();
    try {
      return await work();
    } finally {
      finish();
    }
  }

  /** Resolves once no request is running. */
  idle(): Promise<void> {
    return this.count === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

/** The part of Nest's JSON socket the listener writes replies with. */
interface JsonSocketLike {
  sendMessage(message: unknown): void;
}

const MAX_ECHOED_MESSAGE = 1000;

/**
 * A reply that fits where the one built did not (a NATS reply over the server's `max_payload`: an
 * error that echoes a huge value, a very large page): the error's status with its message
 * shortened, or a 413 for an answer that was too large.
 */
export function shortenedReply(response: { err?: unknown; response?: unknown }): object {
  const err = response.err as { status?: unknown; message?: unknown } | null | undefined;
  if (typeof err === 'object' && err !== null) {
    const message = String(err.message);
    return {
      err: {
        status: err.status,
        message:
          message.length > MAX_ECHOED_MESSAGE
            ? `${message.slice(0, MAX_ECHOED_MESSAGE)}… (shortened: the whole reply was too large to send)`
            : message,
      },
      isDisposed: true,
    };
  }
  return {
    err: {
      status: 413,
      message:
        'The reply is larger than the message broker accepts: ask for less (fewer rows, fields or includes).',
    },
    isDisposed: true,
  };
}
