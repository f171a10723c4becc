import { storagePathProblem } from './storage-path';
import { storagePathOfUrl } from './stored-file.controller';

describe('storagePathProblem', () => {
  it.each([
    'cover/4kZt2VqXbL9sPm3YwQ8rNc7HdJf6GaE1oTu5xRiK.png',
    'anime/bebop/cover.jpg',
    'grill/名前 with spaces.webp',
    'a',
  ])('should accept %j', (path) => {
    expect(storagePathProblem(path)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'empty segment (leading, trailing or double /)'],
    ['cover//a.png', 'empty segment (leading, trailing or double /)'],
    ['cover/', 'empty segment (leading, trailing or double /)'],
    ['../etc/passwd', 'segment ".." starts with a dot'],
    ['cover/../../etc/passwd', 'segment ".." starts with a dot'],
    ['./a.png', 'segment "." starts with a dot'],
    ['.uploads/x.part', 'segment ".uploads" starts with a dot'],
    ['cover\\..\\a.png', 'backslash'],
    ['cover/a\u0000.png', 'control character'],
    ['cover/a\n.png', 'control character'],
    [`${'a'.repeat(1025)}`, 'too long'],
  ])('should refuse %j (%s)', (path, problem) => {
    expect(storagePathProblem(path)).toBe(problem);
  });
});

describe('storagePathOfUrl', () => {
  it.each([
    ['/storage/images/cover/a.png', 'cover/a.png'],
    ['/storage/images/cover/a.png?v=1', 'cover/a.png'],
    ['/storage/images/grill/%E5%90%8D%20x.webp', 'grill/名 x.webp'],
  ])('should read %j as %j', (url, path) => {
    expect(storagePathOfUrl(url)).toBe(path);
  });

  it.each([
    '/storage/images/..%2f..%2fetc/passwd',
    '/storage/images/..%2F..%2Fetc%2Fpasswd',
    '/storage/images/%2e%2e/%2e%2e/etc/passwd',
    '/storage/images/cover/%2e%2e%2f%2e%2e%2fa.png',
    '/storage/images/..\\..\\etc\\passwd',
    '/storage/images/..%5c..%5cetc%5cpasswd',
    '/storage/images/cover/a%00.png',
    '/storage/images/cover/%ZZ.png',
    '/storage/images/.uploads/x.part',
    '/storage/images/',
    '/storage/images//etc/passwd',
    '/storage/imagesX/a.png',
  ])('should find no storage path in %j', (url) => {
    expect(storagePathOfUrl(url)).toBeUndefined();
  });
});
