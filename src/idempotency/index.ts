export { IdempotencyClaim } from './idempotency-claim';
export { Idempotent, IdempotencyOf } from './idempotency.interceptor';
