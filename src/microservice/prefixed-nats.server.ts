import { Logger } from '@nestjs/common';
import { NatsContext, NatsOptions, ServerNats } from '@nestjs/microservices';
import type { Msg, NatsConnection, Subscription, SubscriptionOptions } from 'nats';
import { shortened } from './image-message.deserializer';
import {
  dropEvent,
  InFlight,
  MAX_MESSAGES_IN_FLIGHT,
  shortenedReply,
  UNAVAILABLE,
} from './request-only';

/**
 * The listener's logger: Nest logs a lost broker connection as an error, but an outage is an
 * expected state the client rides out by reconnecting (docs/microservice.md), as the relay's own
 * warning says; so it is a warning here too (found by a probe). Other errors stay errors.
 */
export class NatsListenerLogger extends Logger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (typeof message === 'string' && message.startsWith('NatsError: type: "disconnect"')) {
      this.warn(message);
      return;
    }
    super.error(message, ...rest);
  }
}

/** The header bytes a message may carry, like HTTP's 16 KiB of request headers. */
export const MAX_NATS_HEADER_BYTES = 16 * 1024;

/**
 * Why a message's headers are refused before anything reads them, or undefined. nats.js decodes
 * them on first read in time that grows with the square of the distinct names: 40,000 names
 * (700 KB) stopped the process for 30 s, HTTP included; a name with a space threw, and the
 * request got no answer (both found by a probe). The length is nats.js' own record of the
 * message (`_msg.hdr`, the header block's bytes, -1 for none).
 */
export function headerRefusal(message: Msg): string | undefined {
  const length = (message as unknown as { _msg?: { hdr?: unknown } })._msg?.hdr;
  if (typeof length === 'number' && length > MAX_NATS_HEADER_BYTES) {
    return `its headers are over ${MAX_NATS_HEADER_BYTES} bytes`;
  }
  try {
    void message.headers;
  } catch (error) {
    return `its headers cannot be read (${shortened(String((error as Error).message))})`;
  }
  return undefined;
}

/**
 * Nest's NATS listener with every request subject prefixed (`NATS_SUBJECT_PREFIX`): the pattern
 * `image.list` listens on `<prefix>image.list`, while handlers are still found by their pattern.
 * Several deployments (or test files) can so share one NATS server without answering each other.
 */
export class PrefixedNatsServer extends ServerNats {
  private readonly listening: Subscription[] = [];
  private readonly inFlight = new InFlight();

  constructor(
    options: Required<NatsOptions>['options'],
    private readonly subjectPrefix: string,
  ) {
    super(options);
    (this as unknown as { logger: Logger }).logger = new NatsListenerLogger('Server');
  }

  /**
   * Nest's handler of a subscription, which the NATS client calls without awaiting: anything it
   * lets through (a reply that can no longer be sent...) is logged instead of becoming an
   * unhandled rejection that would end the process.
   */
  override getMessageHandler(channel: string): (error: unknown, message: unknown) => Promise<void> {
    const handle = super.getMessageHandler(channel) as (
      error: unknown,
      message: unknown,
    ) => Promise<unknown>;
    return (error, message) => {
      const reply = (message as Partial<Msg> | undefined)?.reply;
      if (reply !== undefined && !this.mayReplyTo(reply)) {
        this.logger.warn(
          `A request on ${channel} named "${reply.slice(0, 60)}" as where to reply, where the service never replies: dropped, nothing run`,
        );
        return Promise.resolve();
      }
      const refused = message === undefined ? undefined : headerRefusal(message as Msg);
      if (refused !== undefined) {
        return this.refuse(channel, message as Msg, refused).catch((failure: unknown) => {
          this.logger.error(failure);
        });
      }
      return this.inFlight.run(async () => {
        try {
          await handle(error, message);
        } catch (failure) {
          this.logger.error(failure);
        }
      });
    };
  }

  /** A message whose headers are refused: a warning, and a 400 when it asks for a reply. */
  private async refuse(channel: string, natsMsg: Msg, reason: string): Promise<void> {
    this.logger.warn(`A message on ${channel} was refused, nothing run: ${reason}`);
    if (!natsMsg.reply) return;
    const packet = (await this.deserializer.deserialize(natsMsg.data, {
      channel,
      replyTo: natsMsg.reply,
    })) as { id?: string };
    const context = new NatsContext([natsMsg.subject, undefined]);
    this.getPublisher(
      natsMsg,
      packet.id ?? '',
      context,
    )({
      id: packet.id,
      err: { status: 400, message: `Malformed message: ${reason}.` },
      isDisposed: true,
    });
  }

  /**
   * Whether a reply may go to `subject`. The reply is published with the service's own rights, so
   * a caller who names an events stream (`<any prefix>images.…`, another deployment's on a shared
   * broker too) or a JetStream or system API subject (`$JS.API.STREAM.PURGE.…`) as its reply
   * subject forged an event or emptied the stream, though its own rights allowed neither (found
   * by probes).
   */
  private mayReplyTo(subject: string): boolean {
    return !subject.startsWith('$') && !subject.split('.').includes('images');
  }

  /**
   * Closes as HTTP does: no new requests (the subscriptions end, so callers hear "no responders"),
   * then the replies of the requests in flight, then the connection. Nest's own `close` closed the
   * connection at once: a write in flight got no reply, and its statements met a closed pool.
   */
  // Nest awaits what `close` returns (NestMicroservice.close).
  override async close(): Promise<void> {
    for (const subscription of this.listening) subscription.unsubscribe();
    await this.inFlight.idle();
    await super.close();
  }

  /**
   * Past `MAX_MESSAGES_IN_FLIGHT` requests running (this one counted), a request is answered 503
   * at once (request-only.ts). Judged as the message comes in, in the order they come.
   */
  override async handleMessage(channel: string, natsMsg: Msg): Promise<void> {
    if (this.inFlight.size <= MAX_MESSAGES_IN_FLIGHT) {
      await super.handleMessage(channel, natsMsg);
      return;
    }
    const packet = (await this.deserializer.deserialize(natsMsg.data, {
      channel,
      replyTo: natsMsg.reply,
    })) as { id?: string };
    if (packet.id === undefined) return this.handleEvent(channel);
    const context = new NatsContext([natsMsg.subject, natsMsg.headers]);
    this.getPublisher(
      natsMsg,
      packet.id,
      context,
    )({ id: packet.id, err: UNAVAILABLE, isDisposed: true });
  }

  /** A message without a reply subject: dropped (`dropEvent`), not run for no one. */
  override handleEvent(pattern: string): Promise<void> {
    return dropEvent(this.logger, pattern);
  }

  /**
   * Nest's reply, sent where a failure to send (a reply over the server's `max_payload`) is caught:
   * Nest sends from an rxjs subscription, where it would end the process. Such a reply is answered
   * by a shortened one instead (`shortenedReply`).
   */
  override getPublisher(
    message: Msg,
    id: string,
    context: NatsContext,
  ): (response: object) => void {
    const publish = super.getPublisher(message, id, context) as (response: object) => void;
    return (response) => {
      try {
        publish(response);
      } catch (failure) {
        this.logger.warn(`A reply could not be sent (${String(failure)}): sending a shortened one`);
        try {
          publish(shortenedReply(response));
        } catch (again) {
          this.logger.error(`A reply could not be sent: ${String(again)}`);
        }
      }
    };
  }

  override bindEvents(client: NatsConnection): void {
    const prefixed = Object.create(client) as NatsConnection;
    prefixed.subscribe = (subject: string, options?: SubscriptionOptions): Subscription => {
      const subscription = client.subscribe(`${this.subjectPrefix}${subject}`, options);
      this.listening.push(subscription);
      return subscription;
    };
    super.bindEvents(prefixed);
  }
}
