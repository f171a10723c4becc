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
});
