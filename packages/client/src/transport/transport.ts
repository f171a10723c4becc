import { ImageClientError } from '../errors';
import type { ReplyPacket } from '../wire/messages';
import { errorOfReply } from '../errors';

/** How a call is sent. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply before a 504. */
  readonly timeoutMs: number;
  /** NATS headers of the request (`Authorization`); the TCP transport has none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Carries a request packet (`{id, pattern, data}`) to the service and resolves with the reply's
 * `response`; rejects with `ImageClientError` (an error reply) or `ImageClientUnavailableError`
 * (no reply: 503, 504).
 */
export interface ImageTransport {
  request<T>(pattern: string, data: unknown, options: RequestOptions): Promise<T>;
  close(): Promise<void>;
}

/** The `response` of a reply packet, or its `err` as an `ImageClientError`. */
export function readReplyPacket<T>(packet: unknown): T {
  if (typeof packet !== 'object' || packet === null) {
    throw new ImageClientError(502, 'The Image API sent a reply the client cannot read.');
  }
  const { err, response } = packet as ReplyPacket<T>;
  if (err !== undefined && err !== null) throw errorOfReply(err);
  return response as T;
}
