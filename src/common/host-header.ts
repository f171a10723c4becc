import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';

/**
 * A `Host` header the service may copy into links and `Location` (API.md section 10): a host name
 * (letters, digits, `-`, `_`, `~` in dot-separated labels, as RFC 3986 allows in a reg-name), an
 * IPv4 address, or an IPv6 address in brackets, with an optional port 1–65535. Anything else
 * (`evil.com/path?x=`, `a b`, `host:`, `user@host`, `[:]`) could turn a link into another URL.
 */
const HOST =
  /^(?:\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*\.?)(?::([0-9]{1,5}))?$/;

export function isValidHostHeader(host: string | undefined): boolean {
  if (host === undefined || host.length > 255) return false;
  const match = HOST.exec(host);
  if (match === null) return false;
  if (match[1] !== undefined && !isIPv6(match[1])) return false;
  const port = match[2];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/**
 * Whether a request's `Host` is acceptable (RFC 9112 section 3.2): exactly one `Host` line, which
 * HTTP/1.1 requires; and, when links are built from it (`reflected`: PUBLIC_URL unset), present and
 * valid. Node's own check of a missing `Host` is off (`requireHostHeader`), since it answers a bare
 * 400 outside the contract's shape.
 */
export function isAcceptableHost(request: IncomingMessage, reflected: boolean): boolean {
  const host = request.headers.host;
  if (host === undefined) return !reflected && request.httpVersion !== '1.1';
  if (hostLines(request.rawHeaders) > 1) return false;
  return !reflected || isValidHostHeader(host);
}

function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === 4 && name.toLowerCase() === 'host') count += 1;
  }
  return count;
}
