import { MARIADB_NO_MATERIALIZATION } from '../src/query/typeorm/sql-fragments';
import { describeEachDatabase } from './helpers/test-app';
import { recordStatements } from './helpers/statement-recorder';
import { seedReadFixtures } from './helpers/fixtures';

const INCLUDE_SETS = [
  [],
  ['anime'],
  ['anime', 'artists'],
  ['anime', 'artists', 'studios', 'playlists'],
];

describeEachDatabase('GET /api/image: SQL statements per request', (context) => {
  let statements: string[] = [];

  beforeAll(async () => {
    const { dataSource } = context();
    await seedReadFixtures(dataSource);
    statements = recordStatements(dataSource);
  });

  const VERSION =
    /^SELECT SUM\(version\) AS total, MAX\(changed_at\) AS latest FROM change_versions$/;

  /**
   * The statements of one request, between the versions: every GET reads the change versions
   * first (its ETag, docs/PERFORMANCE.md), one small statement whatever the query, and once more
   * after its rows, so that the tag names the state the body shows
   * (docs/read-path.md#one-state-per-answer).
   */
  const recorded = async (url: string): Promise<string[]> => {
    statements.length = 0;
    await context().http().get(url).expect(200);
    expect(statements[0]).toMatch(VERSION);
    expect(statements.at(-1)).toMatch(VERSION);
    return statements.slice(1, -1);
  };

  describe.each([1, 5, 100])('with page[size]=%i', (size) => {
    it.each(INCLUDE_SETS.map((set) => [set.length, set.join(',')]))(
      'should run 1 + %i statements for include=%s',
      async (count, include) => {
        const query = include === '' ? '' : `&include=${include}`;
        const sql = await recorded(
          `/api/image?page[size]=${size}&filter[has-or]=anime,studios${query}`,
        );
        expect(sql).toHaveLength(1 + Number(count));
        // The page is one statement with no JOIN in its FROM (has is EXISTS in the WHERE);
        // each include is one batch. On MySQL/MariaDB it carries MariaDB's optimizer setting.
        expect(sql[0]).toMatch(/LIMIT/);
        expect(sql[0].startsWith(MARIADB_NO_MATERIALIZATION)).toBe(
          context().dataSource.options.type === 'mysql',
        );
        expect(sql[0].slice(0, sql[0].indexOf(' WHERE '))).not.toMatch(/JOIN/);
        for (const statement of sql.slice(1)) {
          expect(statement).toMatch(/INNER JOIN .* WHERE .*image_id.* IN \(/);
          expect(statement).not.toMatch(/LIMIT/);
        }
      },
    );
  });

  it.each(INCLUDE_SETS.map((set) => [set.length, set.join(',')]))(
    'should show an image with 1 + %i statements for include=%s',
    async (count, include) => {
      const sql = await recorded(`/api/image/1${include === '' ? '' : `?include=${include}`}`);
      expect(sql).toHaveLength(1 + Number(count));
    },
  );

  it('should run only the page statement when the page is empty', async () => {
    const sql = await recorded('/api/image?page[number]=50&include=anime,artists');
    expect(sql).toHaveLength(1);
  });
});
