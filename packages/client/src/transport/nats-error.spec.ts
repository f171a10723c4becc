import { NatsError } from 'nats';
import { natsErrorOf } from './nats-error';

/** A `NatsError` of another copy of nats.js: the same name and fields, another class. */
class ForeignNatsError extends Error {
  override readonly name = 'NatsError';
  constructor(
    message: string,
    readonly code: string,
    readonly api_error?: { code: number; err_code: number; description: string },
  ) {
    super(message);
  }
}

describe('natsErrorOf', () => {
  it("should read the code and JetStream refusal of this package's NatsError", () => {
    const error = NatsError.errorForCode('TIMEOUT');
    expect(natsErrorOf(error)?.code).toBe('TIMEOUT');
  });

  // Found by a probe: with the application's own copy of nats, `instanceof NatsError` failed, a
  // timeout became a 503 and the missing durable was never made.
  it('should read them of a NatsError from another copy of nats.js too', () => {
    const refusal = { code: 404, err_code: 10014, description: 'consumer not found' };
    expect(natsErrorOf(new ForeignNatsError('timeout', 'TIMEOUT'))?.code).toBe('TIMEOUT');
    expect(natsErrorOf(new ForeignNatsError('nf', '404', refusal))?.api_error).toEqual(refusal);
  });

  it('should take nothing else for one', () => {
    expect(natsErrorOf(new Error('TIMEOUT'))).toBeUndefined();
    expect(natsErrorOf({ name: 'NatsError', code: 'TIMEOUT' })).toBeUndefined();
    expect(natsErrorOf(undefined)).toBeUndefined();
  });
});
