import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  AckPolicy,
  connect,
  ConsumerMessages,
  DeliverPolicy,
  NatsConnection,
  StringCodec,
} from 'nats';
import type { ImageEvent } from '../../src/client/image-client.types';

export interface ImageEventsOptions {
  readonly servers: string | string[];
  /** The Image API's `NATS_SUBJECT_PREFIX` (empty by default). */
  readonly subjectPrefix?: string;
  /** The Image API's `NATS_EVENTS_STREAM` (`IMAGE_EVENTS` by default). */
  readonly stream?: string;
  /** The durable consumer of this service: it resumes where it left off after a restart. */
  readonly durableName: string;
}

const codec = StringCodec();

/**
 * Follows the Image API's events with a durable JetStream consumer: every event of the stream, in
 * order, acknowledged once handled (unacknowledged ones come again). The handler must cope with a
 * repeated event (see `ImageProjection`).
 */
@Injectable()
export class ImageEventsSubscriber implements OnModuleDestroy {
  private readonly logger = new Logger('ImageEvents');
  private connection?: NatsConnection;
  private messages?: ConsumerMessages;
  private done?: Promise<void>;

  async start(options: ImageEventsOptions, handle: (event: ImageEvent) => void): Promise<void> {
    const stream = options.stream ?? 'IMAGE_EVENTS';
    this.connection = await connect({ servers: options.servers, name: options.durableName });
    const manager = await this.connection.jetstreamManager();
    await manager.consumers.add(stream, {
      durable_name: options.durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${options.subjectPrefix ?? ''}images.events.>`,
    });
    const consumer = await this.connection.jetstream().consumers.get(stream, options.durableName);
    const messages = await consumer.consume();
    this.messages = messages;
    this.done = (async () => {
      for await (const message of messages) {
        try {
          handle(JSON.parse(codec.decode(message.data)) as ImageEvent);
          message.ack();
        } catch (error) {
          this.logger.error(error);
          message.nak();
        }
      }
    })();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.done;
    await this.connection?.close();
    this.connection = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }
}
