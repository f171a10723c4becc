export { IdempotencyClaim } from './idempotency-claim';
export { comparableBody } from './idempotency-key';
export { answeredIdempotently, IdempotencyOf } from './idempotency.decorator';
