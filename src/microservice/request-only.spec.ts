import { shortenedReply, InFlight } from './request-only';

describe('shortenedReply', () => {
  it('should keep an error short enough as it is, dropping its errors', () => {
    expect(
      shortenedReply({ err: { status: 422, message: 'Bad.', errors: { a: ['x'.repeat(5)] } } }),
    ).toEqual({ err: { status: 422, message: 'Bad.' }, isDisposed: true });
  });

  it("should cut an error's message at 1,000 characters and say so", () => {
    const message = `Image ${'9'.repeat(2000)} not found.`;
    expect(shortenedReply({ err: { status: 404, message } })).toEqual({
      err: {
        status: 404,
        message: `${message.slice(0, 1000)}… (shortened: the whole reply was too large to send)`,
      },
      isDisposed: true,
    });
  });

  it('should answer a 413 in place of an answer that was too large', () => {
    expect(shortenedReply({ response: { images: [] } })).toEqual({
      err: {
        status: 413,
        message:
          'The reply is larger than the message broker accepts: ask for less (fewer rows, fields or includes).',
      },
      isDisposed: true,
    });
  });
});

describe('InFlight', () => {
  it('should resolve idle once every request is counted out, each once', async () => {
    const inFlight = new InFlight();
    await inFlight.idle();
    const first = inFlight.start();
    const second = inFlight.start();
    let idle = false;
    const waiting = inFlight.idle().then(() => (idle = true));
    first();
    first();
    await Promise.resolve();
    expect(idle).toBe(false);
    await expect(inFlight.run(() => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(idle).toBe(false);
    second();
    await waiting;
    expect(idle).toBe(true);
  });
});
