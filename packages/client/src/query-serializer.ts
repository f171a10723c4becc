import type { ImageListQuery, ImageShowQuery, RawQuery } from './wire/query';
import type { WireQuery, WireQueryObject } from './wire/messages';

type Leaf = string | number | boolean | Date;
type QueryValue = Leaf | readonly Leaf[] | { readonly [key: string]: QueryValue | undefined };

/**
 * A typed query as it travels: the nested object form the API reads as
 * `filter[facet]=Cover&page[size]=5`, in the caller's key order. An array becomes a comma list
 * (its entries' commas escaped as `\,`, so each entry stays one value), a `Date` its ISO text in
 * UTC; a single string is sent as written. Undefined entries are left out. A raw query string
 * is sent as it is.
 */
export function toWireQuery(query: ImageListQuery | ImageShowQuery | RawQuery): WireQuery {
  if (typeof query === 'string') return query;
  return toWireObject(query as Record<string, QueryValue | undefined>);
}

function toWireObject(object: { readonly [key: string]: QueryValue | undefined }): WireQueryObject {
  const wire: WireQueryObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    wire[key] = toWireValue(value);
  }
  return wire;
}

function toWireValue(value: QueryValue): string | number | boolean | WireQueryObject {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return (value as readonly Leaf[])
      .map((entry) => leafText(entry).replace(/,/g, '\\,'))
      .join(',');
  }
  if (typeof value === 'object') {
    return toWireObject(value as { readonly [key: string]: QueryValue | undefined });
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
