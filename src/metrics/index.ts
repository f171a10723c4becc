export { httpMetricsHook } from './http-metrics.hook';
export { MetricsModule } from './metrics.module';
export { MetricsService } from './metrics.service';
export type { BrokerStatus } from './metrics.service';
