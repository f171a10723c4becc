import { backoffDelay, BackoffOptions, sleep } from './backoff';
import { isRetryableImageClientError } from './errors';

export interface RetryOptions extends Partial<BackoffOptions> {
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
  /** Which failures are worth another attempt (default: `isRetryableImageClientError`, 503/504). */
  readonly retryIf?: (error: unknown) => boolean;
}

/**
 * Runs `call` until it succeeds, retrying failures `retryIf` accepts after a backoff with jitter
 * (`minDelayMs` 200 doubling up to `maxDelayMs` 5000), at most `attempts` times; rethrows the last
 * failure. Only for calls that are safe to repeat: reads, and updates to fixed values.
 *
 * ```ts
 * const page = await retry(() => client.list({ page: { size: 5 } }));
 * ```
 */
export async function retry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const retryIf = options.retryIf ?? isRetryableImageClientError;
  const backoff = { minDelayMs: options.minDelayMs ?? 200, maxDelayMs: options.maxDelayMs ?? 5000 };
  // `attempts: Number(process.env.RETRIES)` with the variable unset is NaN: it retried for ever
  // (found by a probe).
  checkWhole('attempts', attempts);
  checkWhole('minDelayMs', backoff.minDelayMs);
  checkWhole('maxDelayMs', backoff.maxDelayMs);
  if (backoff.minDelayMs > backoff.maxDelayMs) {
    throw new RangeError(
      `minDelayMs (${backoff.minDelayMs}) must not be more than maxDelayMs (${backoff.maxDelayMs})`,
    );
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !retryIf(error)) throw error;
      await sleep(backoffDelay(attempt - 1, backoff));
    }
  }
}

/** The longest delay a timer takes (Node's limit). */
const LONGEST_DELAY_MS = 2_147_483_647;

function checkWhole(name: string, value: unknown): void {
  if (!(
    Number.isSafeInteger(value) &&
    (value as number) >= 1 &&
    (value as number) <= LONGEST_DELAY_MS
  )) {
    throw new RangeError(
      `${name} must be an integer from 1 to ${LONGEST_DELAY_MS} (got ${String(value)})`,
    );
  }
}
