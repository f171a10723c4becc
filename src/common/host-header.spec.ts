import type { IncomingMessage } from 'node:http';
import { isAcceptableHost, isValidHostHeader } from './host-header';

describe('isValidHostHeader', () => {
  it.each([
    'localhost',
    'localhost:3000',
    'api.example.com',
    'api.example.com.',
    'image_api:3000',
    '127.0.0.1',
    '10.0.0.7:65535',
    '[::1]',
    '[2001:db8::1]:8080',
    '[::ffff:192.0.2.1]',
    'xn--bcher-kva.example',
  ])('should accept %j', (host) => {
    expect(isValidHostHeader(host)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'evil.com/path?x=',
    'evil.com?x=1',
    'evil.com#frag',
    'user@evil.com',
    'a b',
    'host:',
    'host:0',
    'host:65536',
    'host:123456',
    'host:80:80',
    '.example.com',
    'a..b',
    '[::1',
    '[::1]x',
    '[:]',
    '[.]',
    '[1.2.3]',
    '[1.2.3.4]',
    '[12345::]',
    'ex%61mple.com',
    'évil.com',
    'evil.com\\x',
    `${'a'.repeat(256)}`,
  ])('should refuse %j', (host) => {
    expect(isValidHostHeader(host)).toBe(false);
  });
});

describe('isAcceptableHost', () => {
  const request = (httpVersion: string, rawHeaders: string[]) => {
    const headers: Record<string, string> = {};
    for (let index = 0; index < rawHeaders.length; index += 2) {
      headers[rawHeaders[index].toLowerCase()] ??= rawHeaders[index + 1];
    }
    return { httpVersion, rawHeaders, headers } as unknown as IncomingMessage;
  };

  it.each([
    ['1.1', ['Host', 'a.example'], true, true],
    ['1.1', ['Host', 'evil.com/x'], true, false],
    ['1.1', ['Host', 'evil.com/x'], false, true],
    ['1.1', [], true, false],
    ['1.1', [], false, false],
    ['1.0', [], true, false],
    ['1.0', [], false, true],
    ['1.1', ['Host', 'a', 'X-A', '1', 'HOST', 'a'], true, false],
    ['1.1', ['host', 'a', 'Host', 'b'], false, false],
    ['1.0', ['Host', 'a', 'X-Host', 'b', 'Hosts', 'c'], true, true],
  ])('HTTP/%s with %j (links from Host: %s) should be %s', (version, raw, reflected, expected) => {
    expect(isAcceptableHost(request(version, raw), reflected)).toBe(expected);
  });
});
