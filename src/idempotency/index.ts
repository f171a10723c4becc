export { IdempotencyClaim } from './idempotency-claim';
export { comparableBody } from './idempotency-key';
export {
  answeredIdempotently,
  idempotencyClaim,
  IdempotencyOf,
  LateIdempotencyOf,
  type LateIdempotencyClaim,
} from './idempotency.decorator';
