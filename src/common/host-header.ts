/**
 * A `Host` header the service may copy into links and `Location` (API.md section 10): a host name
 * (letters, digits, `-`, `_`, `~` in dot-separated labels, as RFC 3986 allows in a reg-name), an
 * IPv4 address, or an IPv6 address in brackets, with an optional port 1–65535. Anything else
 * (`evil.com/path?x=`, `a b`, `host:`, `user@host`) could turn a link into another URL.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*\.?)(?::([0-9]{1,5}))?$/;

export function isValidHostHeader(host: string | undefined): boolean {
  if (host === undefined || host.length > 255) return false;
  const match = HOST.exec(host);
  if (match === null) return false;
  const port = match[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}
