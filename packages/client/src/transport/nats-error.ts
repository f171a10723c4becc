import type { ApiError } from 'nats';

/** What the client reads of a nats.js error: its code, and JetStream's refusal if any. */
export interface NatsErrorFields {
  readonly code?: string;
  readonly api_error?: ApiError;
}

/**
 * The error as a nats.js `NatsError`, known by its name rather than its class: an application with
 * its own copy of `nats` (another version, nested by npm) passes connections whose errors are of
 * that copy's class, and `instanceof` took its timeouts for outages and its missing durable for a
 * failure, so the consumer never made it (found by a probe).
 */
export function natsErrorOf(error: unknown): NatsErrorFields | undefined {
  return error instanceof Error && error.name === 'NatsError'
    ? (error as Error & NatsErrorFields)
    : undefined;
}
