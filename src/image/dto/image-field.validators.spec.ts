import { imagePathProblem, parseImageFacet } from './image-field.validators';

describe('imagePathProblem', () => {
  it.each([
    'a',
    'a'.repeat(255),
    'anime/bakemonogatari/cover.jpg',
    '.hidden/file.jpg',
    'a..b/c..d.jpg',
    'dir/.../x.jpg',
    'アニメ/カバー.jpg',
    'a/./b.jpg',
    'trailing/',
    // Length counts code points (as varchar(255) in utf8mb4 does): 255 emoji fit.
    '😀'.repeat(255),
    `${'a'.repeat(254)}😀`,
    'cover/Pokémon.jpg',
    // Spaces are characters like any other, also around the path, when nothing else is wrong.
    ' cover/a.jpg ',
    'a/ ../b.jpg',
  ])('should accept %j', (path) => {
    expect(imagePathProblem(path)).toBeNull();
  });

  it.each([
    [undefined, 'The path field must be a string.'],
    [null, 'The path field must be a string.'],
    [5, 'The path field must be a string.'],
    ['', 'The path field must not be empty.'],
    ['a'.repeat(256), 'The path field must not be greater than 255 characters.'],
    ['/a.jpg', 'The path field must be a relative path (no leading /).'],
    ['//host/a.jpg', 'The path field must be a relative path (no leading /).'],
    ['..', "The path field must not contain a '..' segment."],
    ['../a.jpg', "The path field must not contain a '..' segment."],
    ['a/../b.jpg', "The path field must not contain a '..' segment."],
    ['a/..', "The path field must not contain a '..' segment."],
    ['a\\b.jpg', 'The path field must not contain a backslash.'],
    ['..\\a.jpg', 'The path field must not contain a backslash.'],
    ['a\tb.jpg', 'The path field must not contain control characters.'],
    ['a\u0085b.jpg', 'The path field must not contain control characters.'],
    ['http://x/a.jpg', 'The path field must be a relative path, not a URL.'],
    ['data:image/png;base64,AAAA', 'The path field must be a relative path, not a URL.'],
    ['C:/images/a.jpg', 'The path field must be a relative path, not a URL.'],
    ['😀'.repeat(256), 'The path field must not be greater than 255 characters.'],
    ['a\u0080b.jpg', 'The path field must not contain control characters.'],
    ['a\u009fb.jpg', 'The path field must not contain control characters.'],
    ['%2E%2E/%2E%2E/admin', 'The path field must not contain %, ? or #.'],
    ['.%2e/x', 'The path field must not contain %, ? or #.'],
    ['a%00.jpg', 'The path field must not contain %, ? or #.'],
    ['?x=1', 'The path field must not contain %, ? or #.'],
    ['a.jpg?v=2', 'The path field must not contain %, ? or #.'],
    ['#frag', 'The path field must not contain %, ? or #.'],
    ['\ud800', 'The path field must be valid Unicode (it contains an unpaired surrogate).'],
    ['a\udc00b.jpg', 'The path field must be valid Unicode (it contains an unpaired surrogate).'],
    ['\udc00\ud800', 'The path field must be valid Unicode (it contains an unpaired surrogate).'],
    [
      `${'😀'.repeat(10)}\ud83d`,
      'The path field must be valid Unicode (it contains an unpaired surrogate).',
    ],
    // Found by a black-box probe: a URL parser drops the spaces around its input, so these are
    // URLs, rooted paths and '..' segments to whoever resolves them.
    [' javascript:alert(1)', 'The path field must be a relative path, not a URL.'],
    ['  http://evil.example/x ', 'The path field must be a relative path, not a URL.'],
    [' //evil.example/x', 'The path field must be a relative path (no leading /).'],
    [' /etc/passwd', 'The path field must be a relative path (no leading /).'],
    [' ../x', "The path field must not contain a '..' segment."],
    [' ..', "The path field must not contain a '..' segment."],
    ['a/.. ', "The path field must not contain a '..' segment."],
  ])('should refuse %j: %s', (path, problem) => {
    expect(imagePathProblem(path)).toBe(problem);
  });
});

describe('parseImageFacet', () => {
  it.each([
    ['Small Cover', 0],
    ['SMALL COVER', 0],
    ['cover', 1],
    ['Large Cover', 1],
    ['Grill', 2],
    [0, 0],
    [2, 2],
    ['1', 1],
    ['01', 1],
  ])('should read %j as %i', (value, facet) => {
    expect(parseImageFacet(value)).toBe(facet);
  });

  it.each([
    ['Banner'],
    [' Cover'],
    ['SmallCover'],
    [3],
    [-1],
    [1.5],
    ['1.0'],
    [''],
    [true],
    [null],
    [[1]],
  ])('should not read %j', (value) => {
    expect(parseImageFacet(value)).toBeUndefined();
  });
});
