import fc from 'fast-check';
import { SharedRead } from './shared-read';

/** A read the test finishes by hand: each one records the database's state when it was sent. */
class Database {
  state = 0;
  readonly sent: { state: number; finish: (fail?: Error) => void }[] = [];

  read = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const state = this.state;
      this.sent.push({ state, finish: (fail) => (fail ? reject(fail) : resolve(state)) });
    });
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SharedRead', () => {
  it('sends a read at once when none is in flight', async () => {
    const db = new Database();
    const shared = new SharedRead(db.read);
    const first = shared.get();
    expect(db.sent).toHaveLength(1);
    db.sent[0].finish();
    await expect(first).resolves.toBe(0);
    const second = shared.get();
    expect(db.sent).toHaveLength(2);
    db.state = 7;
    db.sent[1].finish();
    await expect(second).resolves.toBe(0);
  });

  it('makes callers that ask while a read is in flight share the next one, sent after it', async () => {
    const db = new Database();
    const shared = new SharedRead(db.read);
    const first = shared.get();
    db.state = 1; // a write commits after the first read was sent
    const joiners = [shared.get(), shared.get(), shared.get()];
    expect(db.sent).toHaveLength(1);
    db.sent[0].finish();
    await settle();
    expect(db.sent.map((read) => read.state)).toEqual([0, 1]);
    db.sent[1].finish();
    await expect(first).resolves.toBe(0);
    await expect(Promise.all(joiners)).resolves.toEqual([1, 1, 1]);
    expect(db.sent).toHaveLength(2);
  });

  it('fails only the callers of a failed read, and reads again for the next', async () => {
    const db = new Database();
    const shared = new SharedRead(db.read);
    const first = shared.get();
    const joiner = shared.get();
    db.sent[0].finish(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await settle();
    db.sent[1].finish(new Error('still lost'));
    await expect(joiner).rejects.toThrow('still lost');
    const later = shared.get();
    db.sent[2].finish();
    await expect(later).resolves.toBe(0);
  });

  it('runs a shared read under the earliest deadline of the callers it serves', async () => {
    const deadlines: (number | undefined)[] = [];
    const finishers: (() => void)[] = [];
    const shared = new SharedRead((deadline?: number) => {
      deadlines.push(deadline);
      return new Promise<number>((resolve) => finishers.push(() => resolve(deadlines.length)));
    });
    const first = shared.get(500);
    const joiners = [shared.get(900), shared.get(700), shared.get(undefined), shared.get(800)];
    finishers[0]();
    await settle();
    finishers[1]();
    await expect(first).resolves.toBe(1);
    await expect(Promise.all(joiners)).resolves.toEqual([2, 2, 2, 2]);
    expect(deadlines).toEqual([500, 700]);
  });

  it('turns a read that throws at once into a rejection and stays usable', async () => {
    let calls = 0;
    const shared = new SharedRead(() => {
      calls++;
      if (calls === 1) throw new Error('no connection');
      return Promise.resolve(calls);
    });
    await expect(shared.get()).rejects.toThrow('no connection');
    await expect(shared.get()).resolves.toBe(2);
  });

  it('never hands a caller a value read before it asked, however calls, writes and answers interleave', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('get', 'write', 'finish', 'fail'), { maxLength: 60 }),
        async (steps) => {
          const db = new Database();
          const shared = new SharedRead(db.read);
          const calls: { askedAt: number; result: Promise<number> }[] = [];
          let finished = 0;
          for (const step of steps) {
            if (step === 'get') {
              const result = shared.get();
              result.catch(() => undefined); // looked at once all have settled
              calls.push({ askedAt: db.state, result });
            } else if (step === 'write') db.state++;
            else if (finished < db.sent.length) {
              db.sent[finished++].finish(step === 'fail' ? new Error('failed') : undefined);
              await settle();
            }
          }
          while (finished < db.sent.length) {
            db.sent[finished++].finish();
            await settle();
          }
          const results = await Promise.allSettled(calls.map((call) => call.result));
          results.forEach((result, index) => {
            if (result.status === 'fulfilled') {
              expect(result.value).toBeGreaterThanOrEqual(calls[index].askedAt);
            }
          });
          // Each read serves at least one caller.
          expect(db.sent.length).toBeLessThanOrEqual(calls.length);
        },
      ),
    );
  });
});
