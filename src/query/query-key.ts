/**
 * The bracketed parameter names of the query language: `page[size]`, `filter[anime][year]`, `sort`.
 */
export interface ParameterKey {
  /** The name before the first bracket: `filter`. */
  readonly name: string;
  /** The bracketed parts, in order: `['anime', 'year']`. */
  readonly segments: readonly string[];
}

/**
 * Splits `filter[anime][year]`; undefined when the key is not a name followed by `[...]` parts
 * (`a[b`, `a]b`, `[x]`, `filter[[x]]`, `filter[x]y`). A plain scan: this runs for every parameter.
 */
export function parseParameterKey(key: string): ParameterKey | undefined {
  const open = key.indexOf('[');
  const name = open === -1 ? key : key.slice(0, open);
  if (name === '' || name.includes(']')) return undefined;
  const segments: string[] = [];
  let index = open === -1 ? key.length : open;
  while (index < key.length) {
    const close = key.indexOf(']', index + 1);
    if (key[index] !== '[' || close === -1) return undefined;
    const segment = key.slice(index + 1, close);
    if (segment.includes('[')) return undefined;
    segments.push(segment);
    index = close + 1;
  }
  return { name, segments };
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
