import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { holdNextTickShape, nextTickEntry } from './next-tick-shape';

describe('holdNextTickShape', () => {
  it('holds one real nextTick entry, the same on every call', () => {
    const held = holdNextTickShape();
    expect(held).toBeDefined();
    // An AsyncLocalStorage in use (another test in this worker) adds a symbol of its own.
    expect(Object.getOwnPropertySymbols(held).map((symbol) => symbol.description)).toEqual(
      expect.arrayContaining(['async_id_symbol', 'trigger_async_id_symbol']),
    );
    expect(Object.keys(held!)).toEqual(['callback', 'args']);
    expect(holdNextTickShape()).toBe(held);
  });

  it('keeps the hidden class of the entries through full collections', async () => {
    // V8's own comparison of two objects' hidden classes, and its collector, for this test only.
    setFlagsFromString('--allow-natives-syntax');
    setFlagsFromString('--expose-gc');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a V8 intrinsic, test only
    const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
      a: object,
      b: object,
    ) => boolean;
    const gc = runInNewContext('gc') as () => void;
    const held = holdNextTickShape()!;
    await new Promise((resolve) => setImmediate(resolve));
    for (let round = 0; round < 4; round++) gc();
    const fresh = nextTickEntry()!;
    expect(sameMap(held, fresh)).toBe(true);
    // The comparison can say no: an object of another shape.
    expect(sameMap(held, { callback: null, args: undefined })).toBe(false);
  });
});
