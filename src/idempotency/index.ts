export { IdempotencyClaim } from './idempotency-claim';
export {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_LIFETIME_MS,
  IDEMPOTENCY_MESSAGES,
} from './idempotency-key';
export {
  Idempotent,
  IdempotencyInterceptor,
  IdempotencyOf,
  IDEMPOTENT_REPLAYED_HEADER,
} from './idempotency.interceptor';
export { IDEMPOTENCY_KEYS_TABLE, purgeExpiredAnswers } from './idempotency.store';
