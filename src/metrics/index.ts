export { httpMetricsHook, UNMATCHED_ROUTE } from './http-metrics.hook';
export { MetricsModule } from './metrics.module';
export { MetricsService } from './metrics.service';
export type { BrokerStatus, OutboxSnapshot } from './metrics.service';
