import { createHmac, randomBytes } from 'node:crypto';
import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { parseQuery } from './parse-query';
import { INVALID_CURSOR_MESSAGE } from './parsers/page.parser';
import { CURSOR_OTHER_QUERY_MESSAGE, cursorBinding, CursorCodec, Sha256Hmac } from './cursor';
import { oneError, queryErrorBody } from './testing/query-error-body';

const binding = (query: string) =>
  cursorBinding(IMAGE_QUERY_SCHEMA, parseQuery(query, IMAGE_QUERY_SCHEMA, 'index'));

describe('cursorBinding', () => {
  it.each([
    ['the default order written out', '', 'sort=image_id'],
    ['include, fields and related sorts', '', 'include=anime&fields[image]=path&sort[anime]=name'],
    ['the spelling of a filter', 'filter[facet]=Cover', 'filter[facet-eq]=large cover'],
  ])('should stay the same across %s', (_what, a, b) => {
    expect(binding(a)).toBe(binding(b));
  });

  it('should keep its value across releases, so cursors handed out stay valid', () => {
    // Pinned: made with a Hash object fed the canonical JSON, before one-shot hashing.
    expect(binding('')).toBe('tZH18i8EoGtUTmaf');
    expect(binding('filter[facet]=Cover&sort=-created_at&page[size]=30')).toBe('ymV0EZxe--ga4mKi');
  });

  it.each([
    ['the sort', 'sort=-image_id'],
    ['a filter', 'filter[facet]=Cover'],
    ['a related filter', 'filter[anime][year]=2020'],
    ['trashed', 'filter[trashed]=with'],
    ['a scoped trashed', 'filter[anime][trashed]=only'],
    ['has', 'filter[has]=anime'],
    ['the page size', 'page[size]=16'],
  ])('should change with %s', (_what, query) => {
    expect(binding(query)).not.toBe(binding(''));
  });
});

describe('Sha256Hmac', () => {
  const messages = [
    '',
    'WzEsInRaSDE4aThFb0d0VVRtYWYiLCJhIixbOTM4NTVdXQ',
    'a'.repeat(55),
    'b'.repeat(64),
    'c'.repeat(1000),
    'Çà日本 \u2028 \ud83d\ude00',
    '\u0000\u007f\u0080\u00ff',
    'lone \ud800 surrogate',
  ];

  it('should give the bytes createHmac gives, for short, block-sized and long keys', () => {
    for (const key of [
      Buffer.alloc(0),
      randomBytes(32),
      randomBytes(64),
      randomBytes(65),
      randomBytes(200),
    ]) {
      const hmac = new Sha256Hmac(key);
      for (const message of messages) {
        expect(hmac.digest(message)).toEqual(createHmac('sha256', key).update(message).digest());
      }
    }
  });

  it('should give the RFC 4231 test case 2 MAC', () => {
    expect(
      new Sha256Hmac(Buffer.from('Jefe')).digest('what do ya want for nothing?').toString('hex'),
    ).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('CursorCodec', () => {
  const PINNED_TOKEN = 'WzEsInRaSDE4aThFb0d0VVRtYWYiLCJhIixbOTM4NTVdXQ.Xhpdkx-WP6RTvE5eoyUMvg';
  const codec = new CursorCodec('a-secret-of-at-least-thirty-two-characters');

  it('should keep its tokens across releases, so cursors handed out stay valid', () => {
    // Pinned: made with createHmac, before the one-shot HMAC.
    expect(codec.encode('tZH18i8EoGtUTmaf', { direction: 'after', values: [93855] })).toBe(
      PINNED_TOKEN,
    );
  });

  it('should give back the position it signed, both directions, NULLs and strings included', () => {
    for (const position of [
      { direction: 'after' as const, values: [42] },
      { direction: 'before' as const, values: [null, 7] },
      { direction: 'after' as const, values: ['2024-01-15 12:00:00.123456', 'a/b.jpg', 3] },
    ]) {
      const token = codec.encode('bound', position);
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      expect(codec.decode(token, 'bound', position.values.length)).toEqual(position);
    }
  });

  it.each([
    ['no signature', (token: string) => token.split('.')[0]],
    ['a changed payload', (token: string) => `x${token}`],
    [
      'a changed signature',
      (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
    ],
    [
      'another secret',
      () =>
        new CursorCodec('another-secret-of-thirty-two-characters').encode('bound', {
          direction: 'after',
          values: [1],
        }),
    ],
    ['garbage', () => 'not.acursor'],
  ])('should refuse %s with a 422 at page.cursor', (_what, tamper) => {
    const token = tamper(codec.encode('bound', { direction: 'after', values: [1] }));
    expect(queryErrorBody(() => codec.decode(token, 'bound', 1))).toEqual(
      oneError('page.cursor', INVALID_CURSOR_MESSAGE),
    );
  });

  it('should refuse a cursor made for another binding or sort length as another query', () => {
    const token = codec.encode('bound', { direction: 'after', values: [1] });
    for (const [madeFor, arity] of [
      ['other', 1],
      ['bound', 2],
    ] as const) {
      expect(queryErrorBody(() => codec.decode(token, madeFor, arity))).toEqual(
        oneError('page.cursor', CURSOR_OTHER_QUERY_MESSAGE),
      );
    }
  });
});
