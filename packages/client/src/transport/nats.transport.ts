import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, MsgHdrs } from 'nats';
import { natsErrorOf } from './nats-error';
import { describeError } from '../backoff';
import { ImageClientError, ImageClientUnavailableError } from '../errors';
import type { RequestPacket } from '../wire/messages';
import { joinSubject } from '../wire/subjects';
import type { NatsConnectionKeeper } from './nats-connection';
import {
  connectedWithin,
  encodePacket,
  ImageTransport,
  readReplyPacket,
  RequestOptions,
} from './transport';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Nest's NATS request-reply protocol: the packet `{id, pattern, data}` as JSON on
 * `<prefix><pattern>`, one reply `{id, response | err, isDisposed}` on the request's inbox.
 */
export class NatsTransport implements ImageTransport {
  constructor(
    private readonly connection: NatsConnectionKeeper,
    private readonly subjectPrefix: string,
    private readonly ownsConnection: boolean,
  ) {}

  async request<T>(pattern: string, data: unknown, options: RequestOptions): Promise<T> {
    const packet: RequestPacket = { id: randomUUID(), pattern, data };
    const payload = encoder.encode(encodePacket(packet));
    const headers = options.headers === undefined ? undefined : toNatsHeaders(options.headers);
    const deadline = Date.now() + options.timeoutMs;
    const nc = await connectedWithin(this.connection.get(), options.timeoutMs);
    const timeoutMs = Math.max(1, deadline - Date.now());
    const subject = joinSubject(this.subjectPrefix, pattern);
    let stopWatching = (): void => undefined;
    const lost = new Promise<never>((_, reject) => {
      stopWatching = this.connection.onLoss((reason) =>
        reject(
          new ImageClientUnavailableError(
            503,
            `The Image API could not be reached: ${reason} during the call.`,
          ),
        ),
      );
    });
    try {
      const reply = await Promise.race([
        nc.request(subject, payload, {
          timeout: timeoutMs,
          ...(headers === undefined ? {} : { headers }),
        }),
        lost,
      ]);
      return readReplyPacket<T>(parseJson(decoder.decode(reply.data)));
    } catch (error) {
      throw toTransportError(error, subject, options.timeoutMs);
    } finally {
      stopWatching();
    }
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }
}

/**
 * The headers as NATS carries them. A value with a line break (a pasted token) cannot be sent: the
 * caller's mistake, a 400 never retried, refused before anything is sent.
 */
function toNatsHeaders(values: Readonly<Record<string, string>>): MsgHdrs {
  const headers = natsHeaders();
  for (const [name, value] of Object.entries(values)) {
    if (/[\r\n]/.test(value)) {
      throw new ImageClientError(
        400,
        `The ${name} header cannot be sent over NATS: its value has a line break (CR or LF).`,
      );
    }
    headers.set(name, value);
  }
  return headers;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ImageClientError(502, 'The Image API sent a reply the client cannot read.');
  }
}

/** A nats.js failure as the client's errors: no responders and lost connections 503, timeouts 504. */
function toTransportError(error: unknown, subject: string, timeoutMs: number): ImageClientError {
  if (error instanceof ImageClientError) return error;
  const code = natsErrorOf(error)?.code;
  switch (code) {
    case '503':
      return new ImageClientUnavailableError(
        503,
        `The Image API could not be reached: nobody serves ${subject} (NATS: no responders).`,
        error,
      );
    case 'TIMEOUT':
      return new ImageClientUnavailableError(
        504,
        `The Image API did not answer within ${timeoutMs} ms.`,
        error,
      );
    case 'MAX_PAYLOAD_EXCEEDED':
      return new ImageClientError(413, 'The message is larger than the NATS server accepts.');
    default:
      return new ImageClientUnavailableError(
        503,
        `The Image API could not be reached: ${describeError(error)}.`,
        error,
      );
  }
}
