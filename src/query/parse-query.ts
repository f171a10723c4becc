import { normalizeQueryInput } from './normalize-query-input';
import { failParameter, QUERY_ERROR_KEY, QueryErrorCollector, quote } from './query-error';
import { bracketedKey, dottedKey, parseParameterKey } from './query-key';
import { resourcesOf } from './query-schema.helpers';
import type {
  FilterCondition,
  FilterLogic,
  ParsedQuery,
  QueryMode,
  RootResourceSchema,
  SortSpec,
  TrashedMode,
} from './query.types';
import { failFieldsShape, FIELDS_KEY, parseFieldset } from './parsers/fields.parser';
import { FILTER_KEY, HAS_FILTER, parseFilterParameter } from './parsers/filter.parser';
import { INCLUDE_KEY, parseInclude } from './parsers/include.parser';
import {
  CURSOR_WITH_NUMBER_MESSAGE,
  CURSOR_WITH_RANDOM_MESSAGE,
  failPageShape,
  isPageParameter,
  PAGE_KEY,
  parsePageCursor,
  parsePageParameter,
} from './parsers/page.parser';
import { parseSortParameter, SORT_KEY } from './parsers/sort.parser';

const PARAMETERS_BY_MODE: Readonly<Record<QueryMode, string>> = {
  index:
    'include, fields[<type>], filter[...], sort or sort[<type>], page[size], page[number], page[cursor]',
  show: 'include, fields[<type>], filter[...] (of the included types), sort[<type>] (of the included types)',
};

/** Everything parsed so far; turned into a ParsedQuery once every parameter has been read. */
class QueryBuilder {
  include: readonly string[] = [];
  readonly fields: Record<string, readonly string[]> = {};
  readonly filters: FilterCondition[] = [];
  trashed: TrashedMode = 'without';
  readonly scopedTrashed = new Map<string, TrashedMode>();
  has?: { readonly relations: readonly string[]; readonly logic: FilterLogic };
  hasKey?: string;
  readonly sort = new Map<string, SortSpec>();
  plainSortKey?: string;
  typedSortKey?: string;
  readonly page: { size: number; number: number; cursor?: string };
  /** Whether `page[number]` was given (valid or not): it can't come with `page[cursor]`. */
  pageNumberGiven = false;

  constructor(private readonly schema: RootResourceSchema) {
    this.page = { size: schema.page.defaultSize, number: 1 };
  }

  /** Keyset pages: no `page[number]` beside the cursor, and no cursor for a random order. */
  checkCursor(): void {
    if (this.page.cursor === undefined) return;
    if (this.pageNumberGiven) failParameter(`${PAGE_KEY}.cursor`, CURSOR_WITH_NUMBER_MESSAGE);
    if (this.sort.get(this.schema.type) === 'random') {
      failParameter(`${PAGE_KEY}.cursor`, CURSOR_WITH_RANDOM_MESSAGE);
    }
  }

  build(): ParsedQuery {
    const trashedByType: Record<string, TrashedMode> = {};
    for (const resource of resourcesOf(this.schema)) {
      trashedByType[resource.type] = this.scopedTrashed.get(resource.type) ?? this.trashed;
    }
    return {
      include: this.include,
      fields: this.fields,
      filters: this.filters,
      trashed: this.trashed,
      trashedByType,
      ...(this.has === undefined ? {} : { has: this.has }),
      sort: Object.fromEntries(this.sort),
      page: this.page,
    };
  }
}

function readParameter(
  key: string,
  value: string,
  schema: RootResourceSchema,
  mode: QueryMode,
  query: QueryBuilder,
): void {
  const parsed = parseParameterKey(key);
  const name = parsed?.name;
  const segments = parsed?.segments ?? [];

  if (name === INCLUDE_KEY && segments.length === 0) {
    query.include = parseInclude(value, schema);
  } else if (name === FIELDS_KEY) {
    if (segments.length !== 1) failFieldsShape(segments, schema);
    query.fields[segments[0]] = parseFieldset(segments[0], value, schema);
  } else if (name === FILTER_KEY) {
    const filter = parseFilterParameter(segments, value, schema, mode);
    if (filter.kind === 'condition') {
      query.filters.push(filter.condition);
    } else if (filter.kind === 'trashed') {
      if (filter.scope === undefined) query.trashed = filter.mode;
      else query.scopedTrashed.set(filter.scope, filter.mode);
    } else {
      if (query.hasKey !== undefined) {
        failParameter(
          dottedKey(key),
          `${key} can't be combined with ${query.hasKey}: use one ${HAS_FILTER} filter.`,
        );
      }
      query.has = { relations: filter.relations, logic: filter.logic };
      query.hasKey = key;
    }
  } else if (name === SORT_KEY && segments.length <= 1) {
    const sort = parseSortParameter(segments, value, schema, mode);
    if (sort.plain) query.plainSortKey = key;
    else query.typedSortKey ??= key;
    if (query.plainSortKey !== undefined && query.typedSortKey !== undefined) {
      failParameter(
        SORT_KEY,
        `sort and ${query.typedSortKey} can't be combined: sort each type with sort[<type>] (sort[${schema.type}] for the ${schema.pluralKey}).`,
      );
    }
    query.sort.set(sort.type, sort.spec);
  } else if (name === PAGE_KEY) {
    if (mode === 'show') {
      failParameter(
        dottedKey(key),
        `${key} pages a list of ${schema.pluralKey}, so it is not accepted when showing one ${schema.singularKey}.`,
      );
    }
    if (segments.length !== 1 || !isPageParameter(segments[0])) failPageShape(segments);
    const parameter = segments[0];
    if (parameter === 'cursor') {
      query.page.cursor = parsePageCursor(value);
    } else {
      if (parameter === 'number') query.pageNumberGiven = true;
      query.page[parameter] = parsePageParameter(parameter, value, schema.page);
    }
  } else {
    const shown = parsed === undefined ? key : bracketedKey(parsed.name, parsed.segments);
    failParameter(
      dottedKey(key) === '' ? QUERY_ERROR_KEY : dottedKey(key),
      `Unknown parameter ${quote(shown)}. Allowed parameters: ${PARAMETERS_BY_MODE[mode]}.`,
    );
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
  const pairs = normalizeQueryInput(input);
  const errors = new QueryErrorCollector();
  const query = new QueryBuilder(schema);
  for (const [key, value] of pairs) {
    errors.capture(() => readParameter(key, value, schema, mode, query));
  }
  errors.capture(() => query.checkCursor());
  errors.throwIfAny();
  return query.build();
}
