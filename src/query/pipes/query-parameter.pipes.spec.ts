import { ValidationFailedError } from '../../common/api-error';
import { normalizeQueryInput } from '../normalize-query-input';
import { parseQuery } from '../parse-query';
import { TEST_SCHEMA } from '../typeorm/test-schema.fixture';
import { QueryDraft } from './query-draft';
import { FieldsPipe, FilterPipe, IncludePipe, PagePipe, SortPipe } from './query-parameter.pipes';

const DRAFT_QUERY = 'sort=-path&page[size]=3&include=anime&fields[image]=path&page[number]=2';

function draftOf(query: string): QueryDraft {
  return new QueryDraft(normalizeQueryInput(query), TEST_SCHEMA, 'index');
}

function errorsOf(query: string): unknown {
  try {
    parseQuery(query, TEST_SCHEMA, 'index');
  } catch (error) {
    if (error instanceof ValidationFailedError) return error.getResponse();
    throw error;
  }
  throw new Error('parsed');
}

describe('the parameter pipes', () => {
  it('each reads only the pairs of its own parameter, in the order sent', () => {
    const draft = draftOf(DRAFT_QUERY);
    new SortPipe().transform(draft);
    expect([...draft.claimed]).toEqual([0]);
    expect(draft.page).toEqual({ size: TEST_SCHEMA.page.defaultSize, number: 1 });
    new PagePipe().transform(draft);
    expect(draft.page).toEqual({ size: 3, number: 2 });
    expect(draft.include).toEqual([]);
    new IncludePipe().transform(draft);
    new FieldsPipe().transform(draft);
    new FilterPipe().transform(draft);
    expect([...draft.claimed].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(draft.build()).toEqual(parseQuery(DRAFT_QUERY, TEST_SCHEMA, 'index'));
  });

  it('reports the errors of all pipes in the order of the pairs, as one pass would', () => {
    const body = errorsOf('page[size]=0&include=nope&sort=nope&bogus=1');
    expect(Object.keys((body as { errors: object }).errors)).toEqual([
      'page.size',
      'include',
      'sort',
      'bogus',
    ]);
    const reversed = errorsOf('bogus=1&sort=nope&include=nope&page[size]=0');
    expect(Object.keys((reversed as { errors: object }).errors)).toEqual([
      'bogus',
      'sort',
      'include',
      'page.size',
    ]);
  });
});
