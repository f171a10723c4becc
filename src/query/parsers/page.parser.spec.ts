import { oneError, queryErrorBody } from '../testing/query-error-body';
import {
  failPageShape,
  INVALID_CURSOR_MESSAGE,
  MAX_CURSOR_LENGTH,
  MAX_PAGE_NUMBER,
  PAGE_PARAMETERS,
  parsePageCursor,
  parsePageParameter,
  type PageIntegerParameter,
} from './page.parser';

const LIMITS = { defaultSize: 15, maxSize: 100 };

describe('parsePageParameter', () => {
  it.each<[PageIntegerParameter, string, number]>([
    ['size', '1', 1],
    ['size', '15', 15],
    ['size', '100', 100],
    ['size', '007', 7],
    // Leading zeros count for nothing, however many (a 17-digit 5 was refused: a black-box probe).
    ['size', '00000000000000005', 5],
    ['number', `${'0'.repeat(2000)}2147483647`, MAX_PAGE_NUMBER],
    ['number', '1', 1],
    ['number', '2', 2],
    ['number', String(MAX_PAGE_NUMBER), MAX_PAGE_NUMBER],
  ])('should accept page[%s]=%j as %d', (parameter, value, expected) => {
    expect(parsePageParameter(parameter, value, LIMITS)).toBe(expected);
  });

  it.each<[PageIntegerParameter, string]>([
    ['size', '0'],
    ['size', '101'],
    ['size', '-1'],
    ['size', '1.5'],
    ['size', '1e1'],
    ['size', '+5'],
    ['size', ' 5'],
    ['size', 'abc'],
    ['size', ''],
    ['size', '99999999999999999999'],
    ['size', '000000000000000000101'],
  ])('should refuse page[%s]=%j with a 422 at page.size', (parameter, value) => {
    expect(queryErrorBody(() => parsePageParameter(parameter, value, LIMITS))).toEqual(
      oneError('page.size', `page[size] must be an integer from 1 to 100; got '${value}'.`),
    );
  });

  it.each(['0', '-1', '1.0', 'first', '', String(MAX_PAGE_NUMBER + 1), '1e9'])(
    'should refuse page[number]=%j with a 422 at page.number',
    (value) => {
      expect(queryErrorBody(() => parsePageParameter('number', value, LIMITS))).toEqual(
        oneError(
          'page.number',
          `page[number] must be an integer from 1 to ${MAX_PAGE_NUMBER}; got '${value}'.`,
        ),
      );
    },
  );

  it('should follow the schema limits', () => {
    expect(parsePageParameter('size', '50', { defaultSize: 10, maxSize: 50 })).toBe(50);
    expect(
      queryErrorBody(() => parsePageParameter('size', '51', { defaultSize: 10, maxSize: 50 })),
    ).toEqual(oneError('page.size', "page[size] must be an integer from 1 to 50; got '51'."));
  });

  it.each<[string[], string]>([
    [[], 'page'],
    [['offset'], 'page.offset'],
    [['limit'], 'page.limit'],
    [['size', 'x'], 'page.size.x'],
  ])('should refuse page with the brackets %j with a 422 at %s', (segments, key) => {
    expect(queryErrorBody(() => failPageShape(segments))).toEqual(
      oneError(key, 'Unknown page parameter: use page[size] with page[number] or page[cursor].'),
    );
  });
});

describe('PAGE_PARAMETERS', () => {
  it('should declare every page parameter the list accepts, page[cursor] included', () => {
    expect(PAGE_PARAMETERS).toEqual(['size', 'number', 'cursor']);
  });
});

describe('parsePageCursor', () => {
  it.each(['', 'eyJhIjoxfQ.c2lnbmF0dXJl', 'a-b_c.d', 'x'.repeat(MAX_CURSOR_LENGTH)])(
    'should keep page[cursor]=%j as it is (its signature is checked where it is used)',
    (value) => {
      expect(parsePageCursor(value)).toBe(value);
    },
  );

  it.each(['a b', 'a+b', 'a/b', 'a=b', 'é', 'x'.repeat(MAX_CURSOR_LENGTH + 1)])(
    'should refuse page[cursor]=%j with a 422 at page.cursor',
    (value) => {
      expect(queryErrorBody(() => parsePageCursor(value))).toEqual(
        oneError('page.cursor', INVALID_CURSOR_MESSAGE),
      );
    },
  );
});
