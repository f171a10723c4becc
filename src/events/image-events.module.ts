import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics';
import { ImageEventNotifier } from './image-event.notifier';
import { JetStreamEventPublisher } from './jetstream-event.publisher';
import { OutboxMetrics, reportingPublisher } from './outbox-metrics';
import { IMAGE_EVENT_PUBLISHER, OutboxRelay } from './outbox-relay';

/** The in-process notification of committed events, for the image service and the relay. */
@Global()
@Module({
  providers: [ImageEventNotifier],
  exports: [ImageEventNotifier],
})
export class ImageEventsModule {}

/**
 * The outbox relay: publishes the events to NATS JetStream when `NATS_URL` is set; without a broker
 * it does not start and the events stay in the outbox.
 */
@Module({
  providers: [
    OutboxRelay,
    OutboxMetrics,
    {
      provide: IMAGE_EVENT_PUBLISHER,
      inject: [APP_CONFIG, MetricsService],
      useFactory: (config: AppConfig, metrics: MetricsService) =>
        config.messaging.nats === undefined
          ? null
          : reportingPublisher(
              new JetStreamEventPublisher(config.messaging.nats, config.messaging),
              metrics,
            ),
    },
  ],
  exports: [OutboxRelay],
})
export class OutboxRelayModule {}
