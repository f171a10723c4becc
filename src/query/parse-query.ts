import type { ArgumentMetadata } from '@nestjs/common';
import { normalizeQueryInput } from './normalize-query-input';
import { failParameter, QUERY_ERROR_KEY, quote } from './query-error';
import { bracketedKey, dottedKey } from './query-key';
import type { ParsedQuery, QueryMode, RootResourceSchema } from './query.types';
import {
  CURSOR_WITH_NUMBER_MESSAGE,
  CURSOR_WITH_RANDOM_MESSAGE,
  PAGE_KEY,
} from './parsers/page.parser';
import { QueryDraft, type QueryParameter } from './pipes/query-draft';
import { QUERY_PARAMETER_PIPES } from './pipes/query-parameter.pipes';

const PARAMETERS_BY_MODE: Readonly<Record<QueryMode, string>> = {
  index:
    'include, fields[<type>], filter[...], sort or sort[<type>], page[size], page[number], page[cursor]',
  show: 'include, fields[<type>], filter[...] (of the included types), sort[<type>] (of the included types)',
};

/** A show with no to-many includes (a pivot link's sides are single objects) takes no filter or sort. */
const SHOW_WITHOUT_ARRAYS = 'include, fields[<type>]';

const PIPE_METADATA: ArgumentMetadata = { type: 'custom' };

function allowedParameters(schema: RootResourceSchema, mode: QueryMode): string {
  return mode === 'show' && schema.includes.length === 0
    ? SHOW_WITHOUT_ARRAYS
    : PARAMETERS_BY_MODE[mode];
}

/** A pair no pipe read. */
function failUnknown(
  parameter: QueryParameter,
  schema: RootResourceSchema,
  mode: QueryMode,
): never {
  const { key, name, segments } = parameter;
  const shown = name === undefined ? key : bracketedKey(name, segments);
  failParameter(
    dottedKey(key) === '' ? QUERY_ERROR_KEY : dottedKey(key),
    `Unknown parameter ${quote(shown)}. Allowed parameters: ${allowedParameters(schema, mode)}.`,
  );
}

/** Keyset pages: no `page[number]` beside the cursor, and no cursor for a random order. */
function checkCursor(draft: QueryDraft): void {
  if (draft.page.cursor === undefined) return;
  if (draft.pageNumberGiven) failParameter(`${PAGE_KEY}.cursor`, CURSOR_WITH_NUMBER_MESSAGE);
  if (draft.sort.get(draft.schema.type) === 'random') {
    failParameter(`${PAGE_KEY}.cursor`, CURSOR_WITH_RANDOM_MESSAGE);
  }
}

/**
 * The one entry point of the query language (API.md section 4): reads a query however it arrived
 * (see `normalizeQueryInput`), judges every parameter against the resource's schema for the route
 * (`index` = the list, `show` = one item), and returns the typed query; or throws one
 * ValidationFailedError (422) whose `errors` name every bad parameter by its dotted key, the first
 * problem being the `message`. It never throws anything else for any input.
 */
export function parseQuery(
  input: unknown,
  schema: RootResourceSchema,
  mode: QueryMode,
): ParsedQuery {
  const draft = new QueryDraft(normalizeQueryInput(input), schema, mode);
  for (const pipe of QUERY_PARAMETER_PIPES) pipe.transform(draft, PIPE_METADATA);
  for (const parameter of draft.parameters) {
    if (!draft.claimed.has(parameter.index)) {
      draft.read(parameter.index, () => failUnknown(parameter, schema, mode));
    }
  }
  draft.read(draft.parameters.length, () => checkCursor(draft));
  draft.throwIfAny();
  return draft.build();
}
