import { ImageClientError } from './errors';
import type { ImageListQuery, ImageShowQuery, RawQuery } from './wire/query';
import type { WireQuery, WireQueryObject } from './wire/messages';

type Leaf = string | number | boolean | Date;
type QueryValue = Leaf | readonly Leaf[] | { readonly [key: string]: QueryValue | undefined };

/**
 * A typed query as it travels: the nested object form the API reads as
 * `filter[facet]=Cover&page[size]=5`, in the caller's key order. An array becomes a comma list
 * (its entries' commas escaped as `\,`, so each entry stays one value), a `Date` its ISO text in
 * UTC. A single filter value is one value too, its commas escaped (the API read `'a,b'` as the list
 * of `a` and `b`, found by a probe); any other single string (`include: 'anime,artists'`) is sent
 * as written. Undefined entries are left out. A raw query string
 * is sent as it is. A list entry ending in a backslash, but for the last, is refused with an
 * `ImageClientError` 400: the API would read that backslash as escaping the comma after it, and
 * it has no escape for a backslash.
 */
export function toWireQuery(query: ImageListQuery | ImageShowQuery | RawQuery): WireQuery {
  if (typeof query === 'string') return query;
  return toWireObject(query as Record<string, QueryValue | undefined>, '');
}

function toWireObject(
  object: { readonly [key: string]: QueryValue | undefined },
  path: string,
): WireQueryObject {
  const wire: WireQueryObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    wire[key] = toWireValue(value, path === '' ? key : `${path}[${key}]`);
  }
  return wire;
}

function toWireValue(value: QueryValue, path: string): string | number | boolean | WireQueryObject {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && path.startsWith('filter[')) return toWireValue([value], path);
  if (Array.isArray(value)) {
    const entries = (value as readonly Leaf[]).map(leafText);
    const merging = entries.findIndex(
      (entry, index) => index < entries.length - 1 && entry.endsWith('\\'),
    );
    if (merging !== -1) {
      throw new ImageClientError(
        400,
        `The query cannot be sent: the entry ${JSON.stringify(entries[merging])} of ${path} ends in a backslash, which the API would read as escaping the comma after it (only the last entry may end in one).`,
      );
    }
    return entries.map((entry) => entry.replace(/,/g, '\\,')).join(',');
  }
  if (typeof value === 'object') {
    return toWireObject(value as { readonly [key: string]: QueryValue | undefined }, path);
  }
  return value;
}

function leafText(leaf: Leaf): string {
  return leaf instanceof Date ? leaf.toISOString() : String(leaf);
}

/**
 * The query of a pagination link (`links.next`...), to ask for that page:
 * `client.list(pageQueryOfLink(page.links.next))`.
 */
export function pageQueryOfLink(link: string): RawQuery {
  return new URL(link).search;
}
