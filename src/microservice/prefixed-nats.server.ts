import { NatsOptions, ServerNats } from '@nestjs/microservices';
import type { NatsConnection, Subscription, SubscriptionOptions } from 'nats';

/**
 * Nest's NATS listener with every request subject prefixed (`NATS_SUBJECT_PREFIX`): the pattern
 * `image.list` listens on `<prefix>image.list`, while handlers are still found by their pattern.
 * Several deployments (or test files) can so share one NATS server without answering each other.
 */
export class PrefixedNatsServer extends ServerNats {
  constructor(
    options: Required<NatsOptions>['options'],
    private readonly subjectPrefix: string,
  ) {
    super(options);
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
    return async (error, message) => {
      try {
        await handle(error, message);
      } catch (failure) {
        this.logger.error(failure);
      }
    };
  }

  override bindEvents(client: NatsConnection): void {
    const prefixed = Object.create(client) as NatsConnection;
    prefixed.subscribe = (subject: string, options?: SubscriptionOptions): Subscription =>
      client.subscribe(`${this.subjectPrefix}${subject}`, options);
    super.bindEvents(prefixed);
  }
}
