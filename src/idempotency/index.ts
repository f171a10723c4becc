export { IdempotencyClaim } from './idempotency-claim';
export { answeredIdempotently, IdempotencyOf } from './idempotency.decorator';
