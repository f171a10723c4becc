import type { IncomingHttpHeaders } from 'node:http';
import { headerLineCount } from './header-lines';

/** The 415 of a body sent `Content-Encoding: gzip` (br, deflate...): the service decodes none. */
export const ENCODED_BODY_MESSAGE = 'Unsupported Content-Encoding: send the body uncompressed.';

/** The 415 of a body sent `Transfer-Encoding: gzip, chunked`: Node would read it as if plain. */
export const TRANSFER_CODED_BODY_MESSAGE =
  'Unsupported Transfer-Encoding: send the body as it is or chunked, uncompressed.';

/** The 415 of two `Content-Type` lines: Node keeps the first, perhaps not the meant one. */
export const TWO_CONTENT_TYPES_MESSAGE = 'Send one Content-Type header.';

/** The 415 of a JSON body labelled with a charset other than UTF-8 (RFC 8259: JSON is UTF-8). */
export const JSON_CHARSET_MESSAGE =
  'Unsupported charset: send the JSON body in UTF-8 (charset=utf-8, or no charset).';

/** The 415 of a JSON Patch document (RFC 6902): a list of operations, which no route takes. */
export const JSON_PATCH_MESSAGE =
  'Unsupported media type application/json-patch+json: send the fields to change as application/json.';

/**
 * Whether a `Content-Type` labels the body a JSON Patch document. The JSON parser takes every
 * `application/*+json` (`vnd.api+json`, `merge-patch+json`, whose merge is what PATCH does here),
 * but a JSON Patch means operations, not fields: read as fields it was applied as if it were
 * another body (found by a probe).
 */
export function isJsonPatch(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  return mediaType === 'application/json-patch+json';
}

/**
 * Whether a JSON `Content-Type` names a charset the body is not read in: it is always read as
 * UTF-8, so `charset=iso-8859-1` would store other text than the client meant.
 */
export function hasForeignCharset(contentType: string | undefined): boolean {
  // Each parameter whole, a quoted value with its `;`s (`x="a;charset=latin1"` names no charset);
  // every `charset` counts, so two of them answer the same in either order (found by a probe).
  for (const [, name, quoted, plain] of (contentType ?? '').matchAll(MEDIA_TYPE_PARAMETER)) {
    if (name.toLowerCase() !== 'charset') continue;
    const value = quoted === undefined ? plain.trim() : quoted.replace(/\\(.)/g, '$1');
    if (!['utf-8', 'utf8'].includes(value.toLowerCase())) return true;
  }
  return false;
}

/** `; name=value` of a media type, the value a token or a quoted string (RFC 9110 section 8.3.1). */
const MEDIA_TYPE_PARAMETER = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;

/**
 * The 415 message for a body the service will not read as sent, or undefined: two `Content-Type`
 * lines, any `Content-Encoding` but `identity`, or a `Transfer-Encoding` coding other than
 * `chunked` (Node takes `gzip, chunked` apart as chunked and hands over the bytes still
 * compressed).
 */
export function unsupportedBodyEncoding(
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[] = [],
): string | undefined {
  if (headerLineCount(rawHeaders, 'content-type') > 1) return TWO_CONTENT_TYPES_MESSAGE;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return ENCODED_BODY_MESSAGE;
  }
  const transfer = headers['transfer-encoding'];
  if (transfer === undefined) return undefined;
  const codings = transfer.toLowerCase().split(',');
  return codings.every((coding) => coding.trim() === 'chunked')
    ? undefined
    : TRANSFER_CODED_BODY_MESSAGE;
}

/** The largest JSON body (and message) the service reads: a larger one is a 413 (API.md). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Whether a request announces (`Content-Length`) a body over `BODY_LIMIT_BYTES` that is not an
 * upload: its answer is the 413 whatever follows, so it gets no `100 Continue`.
 */
export function announcesOversizedBody(headers: IncomingHttpHeaders): boolean {
  const length = Number(headers['content-length']);
  if (!(length > BODY_LIMIT_BYTES)) return false;
  return !/^\s*multipart\//i.test(headers['content-type'] ?? '');
}

/** How deeply a JSON body may nest objects and arrays (API.md section 10). */
export const MAX_JSON_DEPTH = 32;

/** The contract's 400 message for a body that is not acceptable JSON (API.md section 10). */
export const MALFORMED_JSON_BODY = 'Malformed JSON body.';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether a JSON text opens more than `maxDepth` objects and arrays inside one another (`{}` is
 * one level, `{"a":[1]}` two). One pass over the text before it is parsed, outside strings: a
 * body nested thousands deep never reaches the parser or the validator, whose recursion it would
 * exhaust. Text that is not JSON gives an answer without meaning, and then fails to parse.
 */
export function exceedsJsonDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * What HTTP's JSON parsing refuses (400 "Malformed JSON body."), for a body that arrived already
 * parsed, as a message's `body` does: nested deeper than `maxDepth` (counted as
 * `exceedsJsonDepth` counts), a `__proto__` key, or a `constructor` key holding a `prototype` key
 * (Fastify's parser refuses both) anywhere in it. Iterative: any depth is judged without recursion.
 */
export function isMalformedJsonValue(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return true;
    if (Array.isArray(current)) {
      for (const item of current) pending.push([item, depth + 1]);
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (key === '__proto__') return true;
      if (key === 'constructor' && typeof child === 'object' && child !== null) {
        if (Object.prototype.hasOwnProperty.call(child, 'prototype')) return true;
      }
      pending.push([child, depth + 1]);
    }
  }
  return false;
}
