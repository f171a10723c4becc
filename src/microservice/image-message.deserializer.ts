import { randomUUID } from 'node:crypto';
import type { ConsumerDeserializer, IncomingEvent, IncomingRequest } from '@nestjs/microservices';

/** Client text in a message, cut short: a 1 MB field name came back whole (found by a probe). */
export function shortened(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Stands in for the data of a message that could not be read; the handler answers it with a 400. */
export class MalformedMessage {
  constructor(readonly reason: string) {}
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The longest packet `id` taken, as JSON (Nest's clients send a UUID). */
const MAX_PACKET_ID_LENGTH = 255;

function isNestPacket(value: unknown): value is IncomingRequest | IncomingEvent {
  const packet = value as { pattern?: unknown; data?: unknown } | null;
  return (
    typeof packet === 'object' &&
    packet !== null &&
    !Array.isArray(packet) &&
    (packet.pattern !== undefined || packet.data !== undefined)
  );
}

/** The fields of a Nest packet. */
const PACKET_FIELDS = new Set(['id', 'pattern', 'data']);

/**
 * A Nest packet with a field Nest's packets do not have, as the data its handler refuses (400):
 * Nest read `pattern`, `data` and `id` and dropped the rest, so `{pattern, data: {id},
 * body}` answered 200 and changed nothing (found by a probe). Undefined when it has none.
 */
export function strayPacketField(packet: object): MalformedMessage | undefined {
  const stray = Object.keys(packet).find((name) => !PACKET_FIELDS.has(name));
  return stray === undefined
    ? undefined
    : new MalformedMessage(
        `the packet has the field "${shortened(stray)}", and a packet carries only id, pattern and data (the message goes in data)`,
      );
}

/**
 * A value as JSON, or null when JSON.stringify cannot write it: nested too deep, it overflowed the
 * stack, and an id repeated in a reply ended the process (found by probes).
 */
function jsonOf(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return null;
  }
}

/**
 * Whether a packet id fits in its reply: at most 255 characters as JSON (JSON.stringify: an object
 * whose own `toString` key would make String() throw), and none that JSON cannot write.
 */
export function isShortPacketId(id: unknown): boolean {
  const json = jsonOf(id);
  return json !== null && json.length <= MAX_PACKET_ID_LENGTH;
}

/**
 * Reads a NATS message for the listener. Nest's packets (`{id, pattern, data}`) as Nest does; any
 * other JSON is the message itself, sent by a client that does not speak Nest's protocol, and is
 * a request when it has a reply subject (so `nats req image.list '{"query": "page[size]=2"}'`
 * works). A payload that is not JSON becomes a `MalformedMessage` the handler answers with a 400,
 * where Nest's own deserializer would throw outside any handler (no reply, an unhandled
 * rejection).
 */
export class ImageMessageDeserializer implements ConsumerDeserializer {
  deserialize(
    value: Uint8Array,
    options?: { channel?: string; replyTo?: string },
  ): IncomingRequest | IncomingEvent {
    let decoded: unknown;
    try {
      decoded = JSON.parse(decoder.decode(value));
    } catch {
      decoded = new MalformedMessage('the message is not JSON');
    }
    // Whether a message is a request is the reply subject's to say, not the packet's `id`: a
    // packet without one still gets an answer, and a message without a reply subject is an event
    // (which the listener drops) even with an `id`.
    if (isNestPacket(decoded)) {
      if (!options?.replyTo) return { pattern: decoded.pattern, data: decoded.data };
      // The subject names the handler; a packet that names another pattern was sent to the wrong
      // subject, and running the subject's handler on it (an update for a delete) is refused.
      if (
        decoded.pattern !== undefined &&
        options.channel !== undefined &&
        decoded.pattern !== options.channel
      ) {
        return {
          pattern: options.channel,
          id: 'id' in decoded && isShortPacketId(decoded.id) ? decoded.id : randomUUID(),
          data: new MalformedMessage(
            `the packet's pattern ${shortened(jsonOf(decoded.pattern) ?? '(a value nested too deep to repeat)')} is not its subject's "${options.channel}"`,
          ),
        };
      }
      const stray = strayPacketField(decoded);
      if (stray !== undefined) {
        return {
          pattern: decoded.pattern,
          id: 'id' in decoded && isShortPacketId(decoded.id) ? decoded.id : randomUUID(),
          data: stray,
        };
      }
      if (!('id' in decoded)) return { ...decoded, id: randomUUID() };
      // The reply repeats the id: a huge one would not fit in it, so nothing is run for it.
      if (!isShortPacketId(decoded.id)) {
        return {
          pattern: decoded.pattern,
          id: randomUUID(),
          data: new MalformedMessage(
            `the packet id is longer than ${MAX_PACKET_ID_LENGTH} characters`,
          ),
        };
      }
      return decoded;
    }
    const packet = { pattern: options?.channel, data: decoded };
    return options?.replyTo ? { ...packet, id: randomUUID() } : packet;
  }
}
