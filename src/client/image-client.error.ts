import type { MessageErrorReply } from '../microservice/image-message.contract';

/**
 * The Image API answered with an error: the status, `message` and `errors` an HTTP caller would
 * get for the same input (`status` 422 with `errors` keyed by parameter or field, 404, 401...).
 */
export class ImageClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string[]>,
  ) {
    super(message);
    this.name = 'ImageClientError';
  }

  /** The error body, as HTTP would have sent it. */
  get body(): { message: string; errors?: Record<string, string[]> } {
    return this.errors === undefined
      ? { message: this.message }
      : { message: this.message, errors: this.errors };
  }
}

/**
 * No answer: the service could not be reached, the connection failed, or the reply did not come
 * within the client's timeout. `status` is 503 (unreachable) or 504 (timeout); the request may or
 * may not have been carried out.
 */
export class ImageClientUnavailableError extends ImageClientError {
  constructor(status: 503 | 504, message: string, cause?: unknown) {
    super(status, message);
    this.name = 'ImageClientUnavailableError';
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

function isErrorReply(value: unknown): value is MessageErrorReply {
  const reply = value as Partial<MessageErrorReply> | null;
  return (
    typeof reply === 'object' &&
    reply !== null &&
    typeof reply.status === 'number' &&
    typeof reply.message === 'string'
  );
}

/** Turns whatever a send failed with into a typed error. */
export function toImageClientError(error: unknown): ImageClientError {
  if (error instanceof ImageClientError) return error;
  if (isErrorReply(error)) return new ImageClientError(error.status, error.message, error.errors);
  // The transport's own error text (`There is no matching message handler...`): the service was
  // reached but cannot serve the pattern (an older version of it, or a typo).
  if (typeof error === 'string') return new ImageClientError(502, error);
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ImageClientUnavailableError(504, 'The Image API did not answer in time.', error);
  }
  const detail = error instanceof Error ? error.message : 'unknown error';
  return new ImageClientUnavailableError(
    503,
    `The Image API could not be reached: ${detail}`,
    error,
  );
}
