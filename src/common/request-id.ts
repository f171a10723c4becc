import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** 1–128 visible ASCII characters (no spaces or controls; docs/operations.md, "Request-Id"). */
const VISIBLE_ASCII = /^[\x21-\x7E]{1,128}$/;
/** Quotes, angle brackets and backslashes, which a log viewer or a page could take for markup. */
const MARKUP = /["'<>\\`]/;

/** The caller's `X-Request-Id` when it is a sane token; otherwise a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && VISIBLE_ASCII.test(value) && !MARKUP.test(value)
    ? value
    : randomUUID();
}
