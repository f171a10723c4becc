import { urlPathSegment } from './public-url';

describe('urlPathSegment', () => {
  it.each([
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['...', '...'],
    ['.hidden', '.hidden'],
    ['a..b', 'a..b'],
    ['cowboy_bebop', 'cowboy_bebop'],
    ['a/b', 'a%2Fb'],
    ['a b?#%', 'a%20b%3F%23%25'],
    ['\u{1F600}', '%F0%9F%98%80'],
  ])('should write %j as %j', (value, segment) => {
    expect(urlPathSegment(value)).toBe(segment);
  });
});
