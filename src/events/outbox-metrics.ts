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
 * A publisher that reports each event published and whether the broker answered: a publish, a
 * first connection or a reconnection that worked says up, any failure down. A readiness check of
 * a connection already made asks the broker nothing, so it says nothing: a frozen broker (the
 * client still believing its connection alive) was reported up by every retry (found by a probe).
 */
export function reportingPublisher(
  publisher: ImageEventPublisher,
  metrics: MetricsService,
): ImageEventPublisher {
  const observe = async <T>(attempt: Promise<T>, upWhenDone = true): Promise<T> => {
    try {
      const result = await attempt;
      if (upWhenDone) metrics.brokerStatus = 'up';
      return result;
    } catch (error) {
      metrics.brokerStatus = 'down';
      throw error;
    }
  };
  publisher.onReconnect(() => {
    metrics.brokerStatus = 'up';
  });
  return {
    ready: () => observe(publisher.ready(), metrics.brokerStatus === 'unknown'),
    publish: async (event: ImageEvent) => {
      await observe(publisher.publish(event));
      metrics.eventsPublished.inc();
    },
    onReconnect: (listener) => publisher.onReconnect(listener),
    close: () => publisher.close(),
  };
}
