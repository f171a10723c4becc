import { IMAGE_FACET_ENUM } from '../../image/image.query-schema';
import { ANIME_SEASON_ENUM } from '../../anime/anime.query-schema';
import {
  describeEnum,
  parseDateValue,
  parseEnumValue,
  parseIntegerValue,
  splitFilterValues,
} from './filter-value.parser';

describe('splitFilterValues', () => {
  it.each<[string, string[]]>([
    ['Cover', ['Cover']],
    ['Cover,Grill', ['Cover', 'Grill']],
    ['a\\,b', ['a,b']],
    ['a\\,b,c', ['a,b', 'c']],
    ['a\\b', ['a\\b']],
    ['a\\\\,b', ['a\\,b']],
    ['a,', ['a', '']],
    [',', ['', '']],
    ['', ['']],
    ['%cover%', ['%cover%']],
    ['trailing\\', ['trailing\\']],
  ])('should split %j into %j', (text, expected) => {
    expect(splitFilterValues(text)).toEqual(expected);
  });

  /** The rule as first written, a character at a time (its strings were chains of pieces). */
  function splitOneByOne(text: string): string[] {
    const values: string[] = [];
    let current = '';
    for (let index = 0; index < text.length; index += 1) {
      if (text[index] === '\\' && text[index + 1] === ',') {
        current += ',';
        index += 1;
      } else if (text[index] === ',') {
        values.push(current);
        current = '';
      } else current += text[index];
    }
    values.push(current);
    return values;
  }

  it('should split every string of commas, backslashes and letters as the rule says', () => {
    const alphabet = ['a', 'b', ',', '\\'];
    for (let length = 0; length <= 7; length += 1) {
      for (let code = 0; code < alphabet.length ** length; code += 1) {
        let text = '';
        for (let rest = code, place = 0; place < length; place += 1, rest = Math.floor(rest / 4)) {
          text += alphabet[rest % 4];
        }
        expect([text, splitFilterValues(text)]).toEqual([text, splitOneByOne(text)]);
      }
    }
  });
});

describe('parseIntegerValue', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['2020', 2020],
    ['-5', -5],
    ['-0', 0],
    ['007', 7],
    // Leading zeros count for nothing, however many (a 17-digit 5 was refused: a black-box probe).
    ['00000000000000005', 5],
    [`-${'0'.repeat(2000)}12`, -12],
    [`${'0'.repeat(100)}9007199254740992`, undefined],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740992', undefined],
    ['99999999999999999', undefined],
    ['1.5', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['+5', undefined],
    [' 5', undefined],
    ['5 ', undefined],
    ['abc', undefined],
    ['', undefined],
    ['-', undefined],
    ['١٢', undefined],
    ['Infinity', undefined],
  ])('should parse %j as %j', (text, expected) => {
    expect(parseIntegerValue(text)).toBe(expected);
  });
});

describe('parseDateValue', () => {
  it.each<[string, string]>([
    ['2024', '2024-01-01 00:00:00.000000'],
    ['2024-02', '2024-02-01 00:00:00.000000'],
    ['2024-02-29', '2024-02-29 00:00:00.000000'],
    ['2024-02-29T13', '2024-02-29 13:00:00.000000'],
    ['2024-02-29T13:45', '2024-02-29 13:45:00.000000'],
    ['2024-02-29T13:45:59', '2024-02-29 13:45:59.000000'],
    ['2024-02-29T13:45:59.5', '2024-02-29 13:45:59.500000'],
    ['2024-02-29T13:45:59.123456', '2024-02-29 13:45:59.123456'],
    ['2024Z', '2024-01-01 00:00:00.000000'],
    ['2024-02Z', '2024-02-01 00:00:00.000000'],
    ['2024-01-15T12:00:00.000001Z', '2024-01-15 12:00:00.000001'],
    ['2000-02-29', '2000-02-29 00:00:00.000000'],
    ['0001-01-01', '0001-01-01 00:00:00.000000'],
    ['9999-12-31T23:59:59.999999Z', '9999-12-31 23:59:59.999999'],
  ])('should convert %j to %j', (text, expected) => {
    expect(parseDateValue(text)).toBe(expected);
  });

  it.each([
    '2024-02-30',
    '2023-02-29',
    '1900-02-29',
    '2024-04-31',
    '2024-13',
    '2024-00',
    '2024-01-00',
    '2024-01-32',
    '2024-01-01T24',
    '2024-01-01T23:60',
    '2024-01-01T23:59:60',
    '0000',
    '24',
    '20240',
    '2024-1',
    '2024-01-1',
    '2024-01-01 12:00',
    '2024-01-01t12',
    '2024-01-01T12:00:00.1234567',
    '2024-01-01T12:00:00.',
    '2024-01-01T12:00:00+01:00',
    '2024-01-01Zjunk',
    '2024z',
    'ZZ',
    '',
    'now',
  ])('should refuse %j', (text) => {
    expect(parseDateValue(text)).toBeUndefined();
  });
});

describe('parseEnumValue', () => {
  it.each<[string, number | undefined]>([
    ['Cover', 1],
    ['cover', 1],
    ['COVER', 1],
    ['Large Cover', 1],
    ['large cover', 1],
    ['Small Cover', 0],
    ['small COVER', 0],
    ['Grill', 2],
    ['1', undefined],
    ['Small  Cover', undefined],
    [' Cover', undefined],
    ['constructor', undefined],
    ['__proto__', undefined],
    ['toString', undefined],
    ['', undefined],
  ])('should read the facet %j as %j', (text, expected) => {
    expect(parseEnumValue(text, IMAGE_FACET_ENUM)).toBe(expected);
  });

  it('should read anime seasons by name case-insensitively', () => {
    expect(
      ['Winter', 'spring', 'SUMMER', 'fall'].map((name) => parseEnumValue(name, ANIME_SEASON_ENUM)),
    ).toEqual([0, 1, 2, 3]);
  });
});

describe('describeEnum', () => {
  it('should list the display names and the extra aliases', () => {
    expect(describeEnum(IMAGE_FACET_ENUM)).toBe(
      'Small Cover, Cover, Grill (case-insensitive; also: Large Cover)',
    );
    expect(describeEnum(ANIME_SEASON_ENUM)).toBe('Winter, Spring, Summer, Fall (case-insensitive)');
  });
});
