import { ImageClientError, ImageClientUnavailableError } from './errors';
import { retry } from './retry';

const fast = { minDelayMs: 1, maxDelayMs: 2 };

describe('retry', () => {
  it('should retry 503 and 504 until the call succeeds', async () => {
    const failures = [
      new ImageClientUnavailableError(503, 'down'),
      new ImageClientUnavailableError(504, 'slow'),
      new ImageClientError(503, 'Service Unavailable.'),
    ];
    let calls = 0;
    const result = await retry(() => {
      calls += 1;
      const failure = failures.shift();
      return failure === undefined ? Promise.resolve('ok') : Promise.reject(failure);
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(4);
  });

  it('should not retry an answer of the API such as a 422', async () => {
    let calls = 0;
    const refusal = new ImageClientError(422, 'bad', { 'page.size': ['bad'] });
    await expect(
      retry(() => {
        calls += 1;
        return Promise.reject(refusal);
      }, fast),
    ).rejects.toBe(refusal);
    expect(calls).toBe(1);
  });

  it('should give up after the attempts with the last failure', async () => {
    let calls = 0;
    const down = new ImageClientUnavailableError(503, 'down');
    await expect(
      retry(
        () => {
          calls += 1;
          return Promise.reject(down);
        },
        { ...fast, attempts: 3 },
      ),
    ).rejects.toBe(down);
    expect(calls).toBe(3);
  });

  // Found by a probe: `attempts: NaN` (an unset environment variable read as a number) retried
  // for ever.
  it.each([
    [{ attempts: Number.NaN }, 'attempts must be an integer from 1 to 2147483647 (got NaN)'],
    [{ attempts: 0 }, 'attempts must be an integer from 1 to 2147483647 (got 0)'],
    [{ attempts: 2.5 }, 'attempts must be an integer from 1 to 2147483647 (got 2.5)'],
    [{ minDelayMs: -1 }, 'minDelayMs must be an integer from 1 to 2147483647 (got -1)'],
    [{ maxDelayMs: Infinity }, 'maxDelayMs must be an integer from 1 to 2147483647 (got Infinity)'],
    [{ minDelayMs: 10, maxDelayMs: 5 }, 'minDelayMs (10) must not be more than maxDelayMs (5)'],
  ])('should refuse %j with a RangeError, calling nothing', async (options, message) => {
    let calls = 0;
    await expect(
      retry(() => {
        calls += 1;
        return Promise.resolve('called');
      }, options),
    ).rejects.toThrow(new RangeError(message));
    expect(calls).toBe(0);
  });
});
