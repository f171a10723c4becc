/** Exponential backoff with jitter, shared by reconnects, retries and naks. */
export interface BackoffOptions {
  /** The first delay (before jitter). */
  readonly minDelayMs: number;
  /** The longest delay (before jitter). */
  readonly maxDelayMs: number;
}

/**
 * The delay before attempt `attempt` (0 for the first retry): `minDelayMs` doubling up to
 * `maxDelayMs`, then a random point in its upper half, so that many clients do not retry in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const base = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(base * (0.5 + Math.random() / 2)));
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the client and the consumer report, with a console-like shape (`console`, Nest's `Logger`). */
export interface ImageClientLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The logger of the options: the given one, `console` by default, none with `false`. */
export function loggerOf(option: ImageClientLogger | false | undefined): ImageClientLogger {
  if (option === false)
    return { log: () => undefined, warn: () => undefined, error: () => undefined };
  return option ?? console;
}

/** An error's message, for a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
