import { ErrorBody, ValidationFailedError } from '../../common/api-error';

/**
 * For specs: runs `run` and returns the body of the ValidationFailedError it throws, so a test can
 * compare the exact 422 body. Fails when `run` returns, or throws anything else.
 */
export function queryErrorBody(run: () => unknown): ErrorBody {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationFailedError && error.getStatus() === 422) {
      return error.getResponse() as ErrorBody;
    }
    throw new Error(`Expected a ValidationFailedError, got: ${String(error)}`);
  }
  throw new Error('Expected a ValidationFailedError, but nothing was thrown');
}

/** The body of a 422 with one error: `{message, errors: {[key]: [message]}}`. */
export function oneError(key: string, message: string): ErrorBody {
  return { message, errors: { [key]: [message] } };
}
