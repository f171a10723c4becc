/**
 * The QueryModule's one public entry: the query language (schemas, parsing, `@ResourceQuery`), the
 * shared reader, and the names the OpenAPI document describes. Nothing outside `src/query` imports
 * another file of it (eslint `no-restricted-imports`).
 */
export * from './query.types';
export {
  assertQuerySchema,
  includeNames,
  defineEnum,
  defineField,
  defineTimestampFields,
  resourcesOf,
} from './query-schema.helpers';
export { parseQuery } from './parse-query';
export { normalizeQueryInput } from './normalize-query-input';
export { ResourceQuery } from './query.decorator';
export { QueryDraft, type QueryParameter } from './pipes/query-draft';
export {
  FieldsPipe,
  FilterPipe,
  IncludePipe,
  PagePipe,
  SortPipe,
} from './pipes/query-parameter.pipes';
export { QueryModule } from './query.module';
export { ResourceReader, type ItemBody, type PageBody } from './reader/resource-reader';
export { answerReadsFirst, type ReadFirstRoute } from './reader/reads-first';
export {
  defineReadableResource,
  type ReadableResource,
  type ReadContext,
  requestReadContext,
  type ResourceKey,
} from './reader/readable-resource';
export { rawQueryString, type PageLinkContext, type PageLinks, type PageMeta } from './pagination';
export {
  compileRenderer,
  type ComputedFields,
  type RawRow,
  type RenderedResource,
  type ResourceRenderer,
} from './resource-renderer';
export { CURSOR_OTHER_QUERY_MESSAGE, CursorCodec } from './cursor';
export {
  describeUnserved,
  findUnservedIndexes,
  type IndexRequirement,
} from './typeorm/index-check';

// The parameter vocabulary, for the OpenAPI document and error messages clients see.
export { bracketedKey } from './query-key';
export { FIELDS_KEY } from './parsers/fields.parser';
export { DATE_FORMATS_DESCRIPTION, describeEnum } from './parsers/filter-value.parser';
export {
  FILTER_KEY,
  HAS_FILTER,
  NEGATION_SUFFIX,
  TRASHED_FILTER,
  TRASHED_MODES,
} from './parsers/filter.parser';
export { INCLUDE_KEY } from './parsers/include.parser';
export {
  CURSOR_WITH_NUMBER_MESSAGE,
  CURSOR_WITH_RANDOM_MESSAGE,
  INVALID_CURSOR_MESSAGE,
  MAX_PAGE_NUMBER,
  PAGE_KEY,
  PAGE_PARAMETERS,
} from './parsers/page.parser';
export { RANDOM_SORT, SORT_KEY } from './parsers/sort.parser';
