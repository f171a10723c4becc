import { randomUUID } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { describeError } from '../backoff';
import { closedClientError, ImageClientError, ImageClientUnavailableError } from '../errors';
import type { ReplyPacket, RequestPacket } from '../wire/messages';
import {
  connectedWithin,
  encodePacket,
  ImageTransport,
  readReplyPacket,
  RequestOptions,
} from './transport';

export interface TcpTransportOptions {
  readonly host?: string;
  readonly port: number;
  /** Milliseconds to establish the connection (default 5000). */
  readonly connectTimeoutMs?: number;
}

/**
 * The longest frame the service's TCP listener takes (twice HTTP's 1 MB body limit, in
 * characters); a longer one closes the connection, and every call under way on it with it.
 */
export const MAX_TCP_FRAME_LENGTH = 2 * 1024 * 1024;

interface Pending {
  resolve(packet: ReplyPacket): void;
  reject(error: Error): void;
}

/**
 * Nest's TCP protocol (`MICROSERVICE_PORT`): JSON packets framed as `<length>#<json>`, the length
 * in UTF-16 code units. One connection, opened on first use and again after it drops; a call
 * under way when it drops fails with a 503.
 */
export class TcpTransport implements ImageTransport {
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(private readonly options: TcpTransportOptions) {}

  async request<T>(pattern: string, data: unknown, options: RequestOptions): Promise<T> {
    const packet: RequestPacket = { id: randomUUID(), pattern, data };
    const json = encodePacket(packet);
    const frame = `${json.length}#${json}`;
    if (frame.length > MAX_TCP_FRAME_LENGTH) {
      // Refused here, as NATS refuses one over its max_payload: sent, it would cut the connection
      // under every other call, and come back as a 503 that `retry` would send again.
      throw new ImageClientError(
        413,
        `The message is larger than the Image API's TCP listener accepts (${MAX_TCP_FRAME_LENGTH} characters).`,
      );
    }
    const deadline = Date.now() + options.timeoutMs;
    const socket = await connectedWithin(this.connect(), options.timeoutMs);
    const reply = await new Promise<ReplyPacket>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(packet.id);
          reject(
            new ImageClientUnavailableError(
              504,
              `The Image API did not answer within ${options.timeoutMs} ms.`,
            ),
          );
        },
        Math.max(1, deadline - Date.now()),
      );
      this.pending.set(packet.id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      socket.write(frame);
    });
    return readReplyPacket<T>(reply);
  }

  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket ?? (await this.connecting?.catch(() => undefined));
    socket?.destroy();
    this.failAll('the client is closed');
  }

  private connect(): Promise<Socket> {
    if (this.closed) return Promise.reject(closedClientError());
    if (this.socket !== undefined) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.options.port, this.options.host ?? '127.0.0.1');
      socket.setTimeout(this.options.connectTimeoutMs ?? 5000, () =>
        socket.destroy(new Error('connect timeout')),
      );
      socket.once('connect', () => {
        socket.setTimeout(0);
        this.socket = socket;
        this.listen(socket);
        resolve(socket);
      });
      socket.once('error', (error) => {
        if (this.socket !== socket) reject(unavailable(describeError(error), error));
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private listen(socket: Socket): void {
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    let length: number | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffer += decoder.write(chunk);
      for (;;) {
        if (length === undefined) {
          const hash = buffer.indexOf('#');
          if (hash === -1) return;
          length = Number(buffer.slice(0, hash));
          buffer = buffer.slice(hash + 1);
          if (!Number.isSafeInteger(length)) {
            socket.destroy(new Error('a corrupted reply frame'));
            return;
          }
        }
        if (buffer.length < length) return;
        const frame = buffer.slice(0, length);
        buffer = buffer.slice(length);
        length = undefined;
        this.deliver(frame);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.failAll('the connection was lost during the call');
    });
  }

  private deliver(frame: string): void {
    let packet: ReplyPacket;
    try {
      packet = JSON.parse(frame) as ReplyPacket;
    } catch {
      return;
    }
    const pending = this.pending.get(packet.id);
    // A reply packet without `response` or `err` only closes a stream that already answered.
    if (
      pending === undefined ||
      (!('response' in packet) && !('err' in packet) && !packet.isDisposed)
    ) {
      return;
    }
    this.pending.delete(packet.id);
    pending.resolve(packet);
  }

  private failAll(reason: string): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(unavailable(reason));
    }
  }
}

function unavailable(detail: string, cause?: unknown): ImageClientError {
  return new ImageClientUnavailableError(
    503,
    `The Image API could not be reached: ${detail}.`,
    cause,
  );
}
