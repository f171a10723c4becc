import { ApiErrorBody, isMessageErrorReply } from './wire/errors';

/**
 * The Image API answered with an error: the status, `message` and `errors` an HTTP caller would
 * get for the same input (422 with `errors` keyed by parameter or field, 404, 401, 403...).
 */
export class ImageClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string[]>,
    options?: { cause?: unknown },
  ) {
    super(message);
    this.name = 'ImageClientError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }

  /** The error body, as HTTP would have sent it. */
  get body(): ApiErrorBody {
    return this.errors === undefined
      ? { message: this.message }
      : { message: this.message, errors: this.errors };
  }
}

/**
 * No answer from the Image API: `503` when it could not be reached (the broker connection is
 * down or being re-established, nobody serves the pattern: NATS "no responders", the TCP
 * connection failed or dropped), `504` when the reply did not come within the timeout. A write
 * that ends so may or may not have been carried out.
 */
export class ImageClientUnavailableError extends ImageClientError {
  constructor(status: 503 | 504, message: string, cause?: unknown) {
    super(status, message, undefined, { cause });
    this.name = 'ImageClientUnavailableError';
  }
}

/**
 * What a call on a closed client rejects with: a plain `Error`, so `retry()` does not repeat it
 * (it was a 503 "could not be reached", retried to the end; found by a probe). A call already
 * under way when `close()` came is a 503 as before: it may have been carried out.
 */
export function closedClientError(): Error {
  return new Error('The client is closed: make a new ImageClient to call the Image API again.');
}

/** The error of an `err` in a reply packet. */
export function errorOfReply(err: unknown): ImageClientError {
  if (isMessageErrorReply(err)) return new ImageClientError(err.status, err.message, err.errors);
  // The transport's own text (`There is no matching message handler...`): the service was reached
  // but cannot serve the pattern (an older version of it, or a typo).
  if (typeof err === 'string') return new ImageClientError(502, err);
  return new ImageClientError(502, 'The Image API sent an error reply the client cannot read.');
}

/**
 * Whether a call that failed with `error` may be sent again as it was: the service was not
 * reached or did not answer in time (503, 504), or answered 503 itself (its database was down).
 * Only retry calls that are safe to repeat (reads, an update to fixed values).
 */
export function isRetryableImageClientError(error: unknown): boolean {
  return error instanceof ImageClientError && (error.status === 503 || error.status === 504);
}
