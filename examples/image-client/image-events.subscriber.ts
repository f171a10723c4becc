import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  consumeImageEvents,
  type ImageApiEvent,
  type ImageEventConsumer,
  type ImageEventConsumerOptions,
} from '@image-api/client';

/**
 * Follows the Image API's events with the package's durable JetStream consumer: every event in
 * stream order, acknowledged once handled; a failing handler gets the event again later, and
 * after `maxDeliver` deliveries it goes to the dead-letter subject. The consumer rides out broker
 * outages by itself. The handler must cope with a repeated event (see `ImageProjection`).
 */
@Injectable()
export class ImageEventsSubscriber implements OnModuleDestroy {
  private readonly logger = new Logger('ImageEvents');
  private consumer?: ImageEventConsumer;

  /** Starts following; resolves once the durable consumer is set up. */
  async start(
    options: Omit<ImageEventConsumerOptions, 'logger'>,
    handle: (event: ImageApiEvent) => void | Promise<void>,
  ): Promise<void> {
    this.consumer = await consumeImageEvents({ ...options, logger: this.logger }, handle);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }
}
