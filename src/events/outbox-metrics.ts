import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MetricsService } from '../metrics';
import type { ImageEvent } from './image-event';
import type { ImageEventPublisher } from './jetstream-event.publisher';
import { pendingOutboxSummary } from './outbox.repository';

/** Seconds from a database timestamp (`2024-01-15 12:00:00.123456`, UTC) to now. */
function ageInSeconds(timestamp: string, now: number): number {
  const millis = Date.parse(`${timestamp.replace(' ', 'T').replace(/Z$/, '')}Z`);
  return Number.isNaN(millis) ? 0 : Math.max(0, (now - millis) / 1000);
}

/** Hands the metrics (and readiness) how to read the outbox's backlog. */
@Injectable()
export class OutboxMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.observeOutbox(async () => {
      const { count, oldestOccurredAt } = await pendingOutboxSummary(this.dataSource.manager);
      return {
        backlog: count,
        oldestAgeSeconds:
          oldestOccurredAt === null ? null : ageInSeconds(oldestOccurredAt, Date.now()),
      };
    });
  }
}

/**
 * A publisher that reports each event published and whether the broker answered: a publish or a
 * reconnection that worked says up, any failure down. A readiness check that works says up only
 * while no publish has failed since: on a connection already made it asks the broker nothing, and
 * a frozen broker (the client still believing its connection alive) was reported up by every
 * retry (found by a probe).
 */
export function reportingPublisher(
  publisher: ImageEventPublisher,
  metrics: MetricsService,
): ImageEventPublisher {
  let publishFailed = false;
  const observe = async <T>(attempt: Promise<T>, publishing: boolean): Promise<T> => {
    try {
      const result = await attempt;
      if (publishing) publishFailed = false;
      if (!publishFailed) metrics.brokerStatus = 'up';
      return result;
    } catch (error) {
      if (publishing) publishFailed = true;
      metrics.brokerStatus = 'down';
      throw error;
    }
  };
  publisher.onReconnect(() => {
    publishFailed = false;
    metrics.brokerStatus = 'up';
  });
  return {
    ready: () => observe(publisher.ready(), false),
    publish: async (event: ImageEvent) => {
      await observe(publisher.publish(event), true);
      metrics.eventsPublished.inc();
    },
    onReconnect: (listener) => publisher.onReconnect(listener),
    close: () => publisher.close(),
  };
}
