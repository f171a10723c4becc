import type { AppConfig } from '../config/app-config';
import { normalizeQueryInput, type PageLinkContext } from '../query';

/**
 * The absolute base of the API for answers given over a message transport, where there is no
 * request to take a host from: `PUBLIC_URL`, or `http://localhost:<PORT>` when it is unset.
 */
export function messageApiBaseUrl(config: AppConfig): string {
  const origin = config.publicUrl ?? `http://localhost:${config.port}`;
  return `${origin.replace(/\/+$/, '')}/${config.apiPrefix}`;
}

/** Characters a query value keeps as written in a link (they mean nothing special there). */
const READABLE_ESCAPES: Readonly<Record<string, string>> = {
  '%2C': ',',
  '%3A': ':',
  '%2F': '/',
  '%40': '@',
  '%24': '$',
  '%3B': ';',
};

function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(
    /%2C|%3A|%2F|%40|%24|%3B/g,
    (escape) => READABLE_ESCAPES[escape],
  );
}

/**
 * What a query string sent over a message may hold that a URL's query may not: a space, `#`,
 * non-ASCII, a `%` that starts no escape (RFC 3986's query characters, and `[` `]` as links spell
 * `page[size]`). Escaping them changes nothing the query says.
 */
const NOT_IN_URL_QUERY = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%[\]]/gu;

/** A character as a URL escapes it; a lone surrogate as U+FFFD, which is how the query reads it. */
function urlEscape(character: string): string {
  const code = character.charCodeAt(0);
  const lone = character.length === 1 && code >= 0xd800 && code <= 0xdfff;
  return lone ? '%EF%BF%BD' : encodeURIComponent(character);
}

/**
 * The query of a message as the query string its pagination links carry: the string form as sent
 * (like a URL's, with what a URL cannot hold escaped: `include= anime` → `include=%20anime`), an
 * object in the bracketed string form, in its key order (`{filter: {facet: 'Large Cover'}}` →
 * `filter[facet]=Large%20Cover`). Only called with a query `parseQuery` accepted.
 */
export function rawQueryOfMessage(query: unknown): string {
  if (query === undefined || query === null) return '';
  if (typeof query === 'string') {
    return (query.startsWith('?') ? query.slice(1) : query).replace(NOT_IN_URL_QUERY, urlEscape);
  }
  return normalizeQueryInput(query)
    .map(([key, value]) => `${key}=${encodeQueryValue(value)}`)
    .join('&');
}

/** Where a list asked over a transport was asked: the links' base (of `resource`) and query. */
export function messagePageLinkContext(
  config: AppConfig,
  query: unknown,
  resource = 'image',
): PageLinkContext {
  return {
    baseUrl: `${messageApiBaseUrl(config)}/${resource}`,
    rawQuery: rawQueryOfMessage(query),
  };
}
