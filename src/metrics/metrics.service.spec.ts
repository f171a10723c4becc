import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

describe('MetricsService.render', () => {
  // Found by a probe: prom-client 15 wrote NaN as `Nan`, which strict text-format parsers refuse.
  it('should write a value it does not know as NaN, as the text format spells it', async () => {
    // No outbox source yet and the broker not tried yet: two gauges that answer NaN (no MySQL
    // driver either, so the pool gauges read their defaults).
    const metrics = new MetricsService(
      { driver: {} } as unknown as DataSource,
      { messaging: { nats: { servers: ['nats://127.0.0.1:4222'] } } } as unknown as AppConfig,
    );
    const { body } = await metrics.render();
    const lines = body.split('\n');
    expect(lines.filter((line) => /^(outbox_backlog|event_broker_up) /.test(line))).toEqual([
      'outbox_backlog NaN',
      'event_broker_up NaN',
    ]);
    expect(lines.filter((line) => / Nan$/.test(line))).toEqual([]);
  });
});
