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
  /** null on a keyset (cursor) page: its number is not known. */
  readonly current_page: number | null;
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
const PAGE_CURSOR_KEY = 'page[cursor]';

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/**
 * A link builder for one request and one page parameter (`page[number]` or `page[cursor]`): every
 * other parameter is kept as sent, in its order and spelling (API.md section 4, Leniency:
 * `page%5Bsize%5D` stays so); the page parameter takes its original place, or goes last when the
 * request had none.
 */
function linkBuilder(context: PageLinkContext, pageKey: string): (value: string) => string {
  const before: string[] = [];
  const after: string[] = [];
  let seenPageKey = false;
  for (const segment of context.rawQuery.split('&')) {
    if (segment === '') continue;
    const equals = segment.indexOf('=');
    const rawKey = equals === -1 ? segment : segment.slice(0, equals);
    // Percent-decoding only for keys that could spell the page parameter (most keys can't).
    const mayBePageKey = rawKey.startsWith('page') || rawKey.includes('%');
    if (mayBePageKey && decodeKey(rawKey) === pageKey) {
      seenPageKey = true;
      continue;
    }
    (seenPageKey ? after : before).push(segment);
  }
  const head =
    before.length > 0 ? `${context.baseUrl}?${before.join('&')}&` : `${context.baseUrl}?`;
  const tail = after.length > 0 ? `&${after.join('&')}` : '';
  return (value) => `${head}${pageKey}=${value}${tail}`;
}

/** The links of offset pages: `page[number]` replaced, everything else as sent (`linkBuilder`). */
export function pageUrlBuilder(context: PageLinkContext): (page: number) => string {
  const build = linkBuilder(context, PAGE_NUMBER_KEY);
  return (page) => build(String(page));
}

/**
 * `links` and `meta` of a keyset page: `first` starts over (`page[cursor]=`), `prev`/`next` carry
 * the cursors the caller made (null at the ends); `last` is null. The page's number and the
 * positions of its rows are not known, so `current_page`, `from` and `to` are null.
 */
export function cursorPaginate(
  context: PageLinkContext,
  size: number,
  cursors: { readonly prev: string | null; readonly next: string | null },
): { links: PageLinks; meta: PageMeta } {
  const url = linkBuilder(context, PAGE_CURSOR_KEY);
  return {
    links: {
      first: url(''),
      last: null,
      prev: cursors.prev === null ? null : url(cursors.prev),
      next: cursors.next === null ? null : url(cursors.next),
    },
    meta: { current_page: null, from: null, path: context.baseUrl, per_page: size, to: null },
  };
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
