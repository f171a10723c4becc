import {
  announcesOversizedBody,
  BODY_LIMIT_BYTES,
  ENCODED_BODY_MESSAGE,
  exceedsJsonDepth,
  hasForeignCharset,
  isMalformedJsonValue,
  MAX_JSON_DEPTH,
  TRANSFER_CODED_BODY_MESSAGE,
  TWO_CONTENT_TYPES_MESSAGE,
  unsupportedBodyEncoding,
} from './json-body';

const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('exceedsJsonDepth', () => {
  it('should allow 32 levels and refuse 33, for arrays, objects and a mix', () => {
    expect(MAX_JSON_DEPTH).toBe(32);
    for (const build of [nestedArrays, nestedObjects]) {
      expect(exceedsJsonDepth(build(32))).toBe(false);
      expect(exceedsJsonDepth(build(33))).toBe(true);
      expect(JSON.parse(build(32))).toBeDefined();
    }
    // 1 + 2 x 15 = 31 levels, then one and two more.
    const mixed = `{"path":${'[{"x":'.repeat(15)}1${'}]'.repeat(15)}}`;
    expect(exceedsJsonDepth(mixed)).toBe(false);
    expect(exceedsJsonDepth(`[${mixed}]`)).toBe(false);
    expect(exceedsJsonDepth(`[[${mixed}]]`)).toBe(true);
  });

  it('should count levels, not brackets: siblings do not add up', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '[[1]]').join(',')}]`;
    expect(exceedsJsonDepth(wide, 3)).toBe(false);
    expect(exceedsJsonDepth(wide, 2)).toBe(true);
  });

  it('should ignore brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ path: '[[[[{{{{', note: 'a \\" [[[[ " {{{{', k: '\\' });
    expect(exceedsJsonDepth(text, 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ '[[[[': '"]]]]' }), 1)).toBe(false);
  });

  it('should take scalars and an empty text as depth 0', () => {
    expect(exceedsJsonDepth('"x"', 0)).toBe(false);
    expect(exceedsJsonDepth('', 0)).toBe(false);
    expect(exceedsJsonDepth('{}', 0)).toBe(true);
  });

  it('should scan a 1 MB body nested a million deep without recursion', () => {
    expect(exceedsJsonDepth('['.repeat(1024 * 1024))).toBe(true);
  });
});

describe('isMalformedJsonValue', () => {
  const nested = (levels: number, leaf: unknown = 1, array = false): unknown => {
    let value = leaf;
    for (let level = 0; level < levels; level += 1) value = array ? [value] : { a: value };
    return value;
  };

  it.each([
    ['a number', 1, false],
    ['null', null, false],
    ['{}', {}, false],
    ['32 levels of objects', nested(MAX_JSON_DEPTH), false],
    ['33 levels of objects', nested(MAX_JSON_DEPTH + 1), true],
    ['32 levels of arrays', nested(MAX_JSON_DEPTH, 1, true), false],
    ['33 levels of arrays', nested(MAX_JSON_DEPTH + 1, 1, true), true],
    ['100,000 levels', nested(100_000), true],
    ['a __proto__ key, deep down', nested(3, JSON.parse('{"__proto__": {"x": 1}}')), true],
    ['constructor.prototype', JSON.parse('{"constructor": {"prototype": {}}}'), true],
    ['a constructor key alone', { constructor: 'x', b: { constructor: { a: 1 } } }, false],
    ['a prototype key alone', { prototype: {} }, false],
  ])('should judge %s: %s', (_what, value, malformed) => {
    expect(isMalformedJsonValue(value)).toBe(malformed);
  });

  it('should agree with exceedsJsonDepth on the text of the same value', () => {
    for (const levels of [1, 31, 32, 33, 40]) {
      for (const array of [false, true]) {
        const value = nested(levels, 'x', array);
        expect(isMalformedJsonValue(value)).toBe(exceedsJsonDepth(JSON.stringify(value)));
      }
    }
  });
});

describe('unsupportedBodyEncoding', () => {
  it.each<[Record<string, string>, string | undefined]>([
    [{}, undefined],
    [{ 'content-encoding': 'identity' }, undefined],
    [{ 'content-encoding': ' Identity ' }, undefined],
    [{ 'transfer-encoding': 'chunked' }, undefined],
    [{ 'transfer-encoding': 'Chunked' }, undefined],
    [{ 'content-encoding': 'gzip' }, ENCODED_BODY_MESSAGE],
    [{ 'content-encoding': 'gzip', 'transfer-encoding': 'gzip, chunked' }, ENCODED_BODY_MESSAGE],
    [{ 'transfer-encoding': 'gzip, chunked' }, TRANSFER_CODED_BODY_MESSAGE],
    [{ 'transfer-encoding': 'x-foo,chunked' }, TRANSFER_CODED_BODY_MESSAGE],
    [{ 'transfer-encoding': ', chunked' }, TRANSFER_CODED_BODY_MESSAGE],
  ])('should judge %j as %j', (headers, message) => {
    expect(unsupportedBodyEncoding(headers)).toBe(message);
  });

  it('should refuse two Content-Type lines, whatever their case or values, and take one', () => {
    const headers = { 'content-type': 'application/json' };
    const one = ['Host', 'x', 'Content-Type', 'application/json'];
    expect(unsupportedBodyEncoding(headers, one)).toBeUndefined();
    for (const second of ['content-type', 'CONTENT-TYPE', 'Content-Type']) {
      expect(unsupportedBodyEncoding(headers, [...one, second, 'text/plain'])).toBe(
        TWO_CONTENT_TYPES_MESSAGE,
      );
    }
  });
});

describe('announcesOversizedBody', () => {
  it.each<[Record<string, string>, boolean]>([
    [{}, false],
    [{ 'content-length': String(BODY_LIMIT_BYTES) }, false],
    [{ 'content-length': String(BODY_LIMIT_BYTES + 1) }, true],
    [{ 'content-length': String(BODY_LIMIT_BYTES + 1), 'content-type': 'application/json' }, true],
    [{ 'content-length': String(BODY_LIMIT_BYTES + 1), 'content-type': 'text/plain' }, true],
    [{ 'content-length': '9'.repeat(30), 'content-type': 'application/json' }, true],
    [{ 'content-length': 'abc' }, false],
    // An upload has a limit of its own (docs/storage.md): it gets its 100.
    [
      {
        'content-length': String(BODY_LIMIT_BYTES + 1),
        'content-type': 'multipart/form-data; boundary=x',
      },
      false,
    ],
    [
      { 'content-length': String(BODY_LIMIT_BYTES + 1), 'content-type': ' Multipart/Form-Data' },
      false,
    ],
  ])('should judge %j as %s', (headers, oversized) => {
    expect(announcesOversizedBody(headers)).toBe(oversized);
  });
});

describe('hasForeignCharset', () => {
  it.each([
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/json; charset=utf8',
    'application/merge-patch+json; foo=bar',
    'application/json; x="a;charset=latin1"',
    'application/json; x="a\\";charset=latin1"; charset=utf-8',
    'application/json; charset=utf-8; charset=UTF8',
  ])('should read %j as UTF-8', (contentType) => {
    expect(hasForeignCharset(contentType)).toBe(false);
  });

  it.each([
    'application/json; charset=iso-8859-1',
    'application/json; charset="latin1"',
    'application/json;CHARSET=utf-16',
    'application/json; charset=',
    'application/json; foo=bar; charset=windows-1252',
    'application/json; charset=utf-8; charset=latin1',
    'application/json; charset=latin1; charset=utf-8',
    'application/json; x="a;b"; charset=latin1',
  ])('should refuse %j', (contentType) => {
    expect(hasForeignCharset(contentType)).toBe(true);
  });
});
