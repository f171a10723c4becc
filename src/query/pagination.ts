/**
 * Offset pagination without COUNT (API.md section 3): the page is fetched with one row more than its
 * size, so whether a next page exists is known without counting; `last` is therefore always null.
 */

/** Where a list was asked for: the absolute URL without its query, and the raw query string. */
export interface PageLinkContext {
  /** `https://host/api/image` — the base of every link and `meta.path`. */
  readonly baseUrl: string;
  /** The request's query string as sent, without the leading `?` (empty when there was none). */
  readonly rawQuery: string;
}

export interface PageLinks {
  readonly first: string;
  readonly last: null;
  readonly prev: string | null;
  readonly next: string | null;
}

export interface PageMeta {
  readonly current_page: number;
  readonly from: number | null;
  readonly path: string;
  readonly per_page: number;
  readonly to: number | null;
}

export interface PageRequest {
  readonly size: number;
  readonly number: number;
}

const PAGE_NUMBER_KEY = 'page[number]';

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/**
 * A link builder for one request: every parameter but `page[number]` is kept as sent, in its order,
 * with brackets in keys written plainly (`page[size]`, not `page%5Bsize%5D`); `page[number]` takes
 * its original place, or goes last when the request had none.
 */
export function pageUrlBuilder(context: PageLinkContext): (page: number) => string {
  const before: string[] = [];
  const after: string[] = [];
  let seenPageNumber = false;
  for (const segment of context.rawQuery.split('&')) {
    if (segment === '') continue;
    const equals = segment.indexOf('=');
    const rawKey = equals === -1 ? segment : segment.slice(0, equals);
    if (decodeKey(rawKey) === PAGE_NUMBER_KEY) {
      seenPageNumber = true;
      continue;
    }
    const plainKey = rawKey.replace(/%5B/gi, '[').replace(/%5D/gi, ']');
    (seenPageNumber ? after : before).push(plainKey + segment.slice(rawKey.length));
  }
  const head =
    before.length > 0 ? `${context.baseUrl}?${before.join('&')}&` : `${context.baseUrl}?`;
  const tail = after.length > 0 ? `&${after.join('&')}` : '';
  return (page) => `${head}${PAGE_NUMBER_KEY}=${page}${tail}`;
}

/**
 * `links` and `meta` of a page holding `count` rows, `hasMore` telling whether a row past the page
 * was found.
 */
export function paginate(
  context: PageLinkContext,
  page: PageRequest,
  count: number,
  hasMore: boolean,
): { links: PageLinks; meta: PageMeta } {
  const url = pageUrlBuilder(context);
  const from = count === 0 ? null : (page.number - 1) * page.size + 1;
  return {
    links: {
      first: url(1),
      last: null,
      prev: page.number > 1 ? url(page.number - 1) : null,
      next: hasMore ? url(page.number + 1) : null,
    },
    meta: {
      current_page: page.number,
      from,
      path: context.baseUrl,
      per_page: page.size,
      to: from === null ? null : from + count - 1,
    },
  };
}

/** The query string of a request URL, without the `?` (empty when there is none). */
export function rawQueryString(url: string): string {
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start + 1);
}
