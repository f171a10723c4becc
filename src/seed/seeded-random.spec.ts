import { hashUnit, SeededRandom } from './seeded-random';

describe('SeededRandom', () => {
  it('should give the same sequence for the same seed and stream', () => {
    const first = new SeededRandom(42, 'images');
    const second = new SeededRandom(42, 'images');
    const a = Array.from({ length: 100 }, () => first.next());
    const b = Array.from({ length: 100 }, () => second.next());
    expect(a).toEqual(b);
  });

  it('should give different sequences for different seeds or streams', () => {
    const sample = (seed: number, stream: string) => {
      const random = new SeededRandom(seed, stream);
      return Array.from({ length: 10 }, () => random.next());
    };
    expect(sample(1, 'images')).not.toEqual(sample(2, 'images'));
    expect(sample(1, 'images')).not.toEqual(sample(1, 'anime'));
  });

  it('should keep next() in [0, 1) and int() within its bounds, reaching both ends', () => {
    const random = new SeededRandom(7);
    const floats = Array.from({ length: 10_000 }, () => random.next());
    const ints = new Set(Array.from({ length: 1000 }, () => random.int(3, 6)));
    expect(floats.every((value) => value >= 0 && value < 1)).toBe(true);
    expect([...ints].sort()).toEqual([3, 4, 5, 6]);
  });

  it('should make alphanumeric strings of the asked length from A-Z, a-z and 0-9', () => {
    const random = new SeededRandom(3);
    const text = random.alphanumeric(4000);
    expect(text).toMatch(/^[A-Za-z0-9]{4000}$/);
    expect(new Set(text).size).toBe(62);
  });

  it('should pick by weight, never a zero-weight choice', () => {
    const random = new SeededRandom(5);
    const picks = Array.from({ length: 1000 }, () =>
      random.weighted([
        ['a', 1],
        ['never', 0],
        ['b', 3],
      ]),
    );
    expect(picks).not.toContain('never');
    expect(picks.filter((pick) => pick === 'b').length).toBeGreaterThan(600);
  });
});

describe('hashUnit', () => {
  it('should depend only on its inputs and stay in [0, 1)', () => {
    expect(hashUnit(1, 2, 3)).toBe(hashUnit(1, 2, 3));
    expect(hashUnit(1, 2, 3)).not.toBe(hashUnit(1, 2, 4));
    const values = Array.from({ length: 1000 }, (_, i) => hashUnit(9, 9, i));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});
