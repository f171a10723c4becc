import fc from 'fast-check';
import { format } from 'mysql2';
import { createQueryFormat } from './query-format';

/** What mysql2 sends without the hook: its own `format` (or the error it throws). */
function plain(sql: string, values: unknown, stringifyObjects: boolean, timezone?: string): string {
  try {
    return format(sql, values as never, stringifyObjects, timezone);
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

function hooked(
  queryFormat: ReturnType<typeof createQueryFormat>,
  sql: string,
  values: unknown,
  stringifyObjects: boolean,
  timezone?: string,
): string {
  try {
    return queryFormat.call({ config: { stringifyObjects } }, sql, values, timezone);
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

const sqlPiece = fc.oneof(
  fc.constantFrom(
    '?',
    '??',
    '???',
    ' ',
    ', ',
    'SELECT ',
    ' FROM `images` `root` WHERE `root`.`image_id` IN (',
    ')',
    '`odd ? name`',
    '`back``tick ?`',
    "'it''s ?'",
    "'a \\' ?'",
    '"double ? quoted"',
    '-- comment ?\n',
    '--?',
    '# hash ?\n',
    '/* block ? */',
    '/*! kept ? */',
    'SET ',
    ' = ',
    '\u0000',
  ),
  fc.string({ maxLength: 6 }),
);

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.constantFrom("it's", 'back\\slash', '?', '\u0000', '😀', 'a\nb'),
    fc.integer(),
    fc.double(),
    fc.constantFrom(NaN, Infinity, -0, 2 ** 53),
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: false }),
    fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 3 }), tie('value'), { maxKeys: 2 }),
    fc.constant({ toSqlString: () => 'NOW()' }),
    fc.constant(new Set([1, 'a'])),
    fc.constant(new Map([['a', 1]])),
  ),
})).value;

describe('createQueryFormat (mysql2 queryFormat)', () => {
  it('sends the text mysql2 format sends, for any text and values, first and later runs', () => {
    const queryFormat = createQueryFormat();
    fc.assert(
      fc.property(
        fc.array(sqlPiece, { maxLength: 12 }).map((pieces) => pieces.join('')),
        fc.array(value, { maxLength: 5 }),
        fc.array(value, { maxLength: 5 }),
        fc.boolean(),
        fc.constantFrom(undefined, 'Z', 'local', '+05:30'),
        (sql, values, again, stringifyObjects, timezone) => {
          for (const run of [values, values, again]) {
            expect(hooked(queryFormat, sql, run, stringifyObjects, timezone)).toBe(
              plain(sql, run, stringifyObjects, timezone),
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('fills the read and write statements as format does', () => {
    const queryFormat = createQueryFormat();
    const cases: [string, unknown[]][] = [
      [
        'SELECT `related`.`anime_id` AS `anime_id`, `pivot`.`image_id` AS `__owner_id` FROM `anime_image` `pivot` INNER JOIN `anime` `related` ON `related`.`anime_id` = `pivot`.`anime_id` WHERE `pivot`.`image_id` IN (?) AND `related`.`deleted_at` IS NULL ORDER BY `related`.`anime_id` ASC',
        [[1, 2, 3]],
      ],
      [
        'SELECT `root`.`image_id` AS `image_id` FROM `images` `root` WHERE `root`.`image_id` = ? LIMIT 1',
        [5000],
      ],
      [
        'INSERT INTO `images` (`path`, `facet`, `created_at`, `updated_at`) VALUES (?, ?, ?, ?)',
        ["cover/it's ?.png", 0, '2026-12-07 00:00:00.000000', new Date(Date.UTC(2026, 11, 7))],
      ],
      ['SELECT ? AS `a`, ? AS `b`', [null, undefined]],
      ['UPDATE `images` SET ? WHERE `image_id` = ?', [{ path: 'x' }, 1]],
      ['SELECT ?? FROM `images` WHERE `image_id` = ?', ['path', 1]],
    ];
    for (const [sql, values] of cases) {
      for (let run = 0; run < 2; run++) {
        expect(hooked(queryFormat, sql, values, false, 'Z')).toBe(plain(sql, values, false, 'Z'));
      }
    }
    expect(hooked(queryFormat, cases[0][0], [[7]], false, 'Z')).toContain('IN (7)');
  });

  it('keeps answering as format does past the number of texts it remembers', () => {
    const queryFormat = createQueryFormat();
    for (let index = 0; index < 3000; index++) {
      const sql = `SELECT ? AS \`c${index % 1500}\`, '?' FROM t WHERE a = ?`;
      const values = [index, `v${index}`];
      expect(hooked(queryFormat, sql, values, false)).toBe(plain(sql, values, false));
    }
  });
});
