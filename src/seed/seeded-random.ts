const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Mixes a 32-bit value (murmur3's finaliser): neighbouring inputs give unrelated outputs. */
export function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a), to derive one stream per table from one seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A value in [0, 1) that depends only on its inputs, for attributes that must be recomputable
 * anywhere (a row's timestamp is needed again when its pivot rows are written).
 */
export function hashUnit(seed: number, salt: number, index: number): number {
  return mix32(mix32(seed ^ Math.imul(salt, 0x9e3779b9)) ^ mix32(index + 0x632be5ab)) / 2 ** 32;
}

/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every machine, so generated data sets are reproducible. Not for anything secret.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number, stream = '') {
    this.state = mix32(seed ^ hashString(stream)) || 0x6d2b79f5;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `weighted([[value, weight], ...])`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let point = this.next() * total;
    for (const [value, weight] of choices) {
      point -= weight;
      if (point < 0) return value;
    }
    return choices[choices.length - 1][0];
  }

  /** `length` characters from A–Z, a–z and 0–9, like AnimeThemes' storage names. */
  alphanumeric(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += ALPHANUMERIC[Math.floor(this.next() * 62)];
    return text;
  }
}
