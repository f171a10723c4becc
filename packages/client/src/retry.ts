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
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !retryIf(error)) throw error;
      await sleep(backoffDelay(attempt - 1, backoff));
    }
  }
}
