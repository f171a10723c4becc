import { ImageClientError, ImageClientUnavailableError } from '../errors';
import type { ReplyPacket, RequestPacket } from '../wire/messages';
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

/**
 * The packet as JSON; data JSON cannot hold (a `BigInt`, a cycle) is the caller's mistake: a 400
 * that is never retried, not the 503 of a call that could not be sent.
 */
export function encodePacket(packet: RequestPacket): string {
  try {
    return JSON.stringify(packet);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ImageClientError(400, `The call's data cannot be sent as JSON: ${detail}.`);
  }
}

/**
 * `connecting`, or a 503 when it takes longer than `timeoutMs`: a call waits for a connection
 * under way no longer than for its reply (nothing was sent, so the 503 is safe to retry).
 */
export function connectedWithin<T>(connecting: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ImageClientUnavailableError(
            503,
            `The Image API could not be reached: no connection within ${timeoutMs} ms.`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([connecting, late]).finally(() => clearTimeout(timer));
}
