import { isValidHostHeader } from './host-header';

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
    'ex%61mple.com',
    'évil.com',
    'evil.com\\x',
    `${'a'.repeat(256)}`,
  ])('should refuse %j', (host) => {
    expect(isValidHostHeader(host)).toBe(false);
  });
});
