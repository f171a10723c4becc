/**
 * The bracketed parameter names of the query language: `page[size]`, `filter[anime][year]`, `sort`.
 */
export interface ParameterKey {
  /** The name before the first bracket: `filter`. */
  readonly name: string;
  /** The bracketed parts, in order: `['anime', 'year']`. */
  readonly segments: readonly string[];
}

const KEY_PATTERN = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
const SEGMENT_PATTERN = /\[([^[\]]*)\]/g;

/** Splits `filter[anime][year]`; undefined when the key is not `name` followed by `[...]` parts. */
export function parseParameterKey(key: string): ParameterKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (match === null) return undefined;
  const segments = [...match[2].matchAll(SEGMENT_PATTERN)].map((segment) => segment[1]);
  return { name: match[1], segments };
}

/** The dotted form errors are keyed by: `filter[anime][year]` → `filter.anime.year`. */
export function dottedKey(key: string): string {
  const parsed = parseParameterKey(key);
  return parsed === undefined ? key : [parsed.name, ...parsed.segments].join('.');
}

/** The bracketed form messages show: (`filter`, `['anime', 'year']`) → `filter[anime][year]`. */
export function bracketedKey(name: string, segments: readonly string[]): string {
  return `${name}${segments.map((segment) => `[${segment}]`).join('')}`;
}
