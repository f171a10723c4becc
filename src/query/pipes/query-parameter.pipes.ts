import { Injectable, type PipeTransform } from '@nestjs/common';
import { failParameter } from '../query-error';
import { dottedKey } from '../query-key';
import { failFieldsShape, FIELDS_KEY, parseFieldset } from '../parsers/fields.parser';
import { FILTER_KEY, HAS_FILTER, parseFilterParameter } from '../parsers/filter.parser';
import { INCLUDE_KEY, parseInclude } from '../parsers/include.parser';
import {
  failPageShape,
  isPageParameter,
  PAGE_KEY,
  parsePageCursor,
  parsePageParameter,
} from '../parsers/page.parser';
import { parseSortParameter, SORT_KEY } from '../parsers/sort.parser';
import type { QueryDraft, QueryParameter } from './query-draft';

/**
 * The parameter pipes: each reads the pairs of one parameter family from a `QueryDraft`, in the
 * order sent, into the draft. `parseQuery` (and so `@ResourceQuery`) applies all five.
 */
abstract class QueryParameterPipe implements PipeTransform<QueryDraft, QueryDraft> {
  protected abstract readonly parameter: string;

  transform(draft: QueryDraft): QueryDraft {
    for (const parameter of draft.parametersNamed(this.parameter)) {
      draft.read(parameter.index, () => this.readParameter(parameter, draft));
    }
    return draft;
  }

  protected abstract readParameter(parameter: QueryParameter, draft: QueryDraft): void;
}

/** `include=anime,artists`. */
@Injectable()
export class IncludePipe extends QueryParameterPipe {
  protected readonly parameter = INCLUDE_KEY;

  override transform(draft: QueryDraft): QueryDraft {
    // `include[x]` is not an include: it stays unclaimed (an unknown parameter).
    for (const parameter of draft.parameters) {
      if (parameter.name !== INCLUDE_KEY || parameter.segments.length !== 0) continue;
      draft.claimed.add(parameter.index);
      draft.read(parameter.index, () => this.readParameter(parameter, draft));
    }
    return draft;
  }

  protected readParameter({ value }: QueryParameter, draft: QueryDraft): void {
    draft.include = parseInclude(value, draft.schema);
  }
}

/** `fields[<type>]=a,b`. */
@Injectable()
export class FieldsPipe extends QueryParameterPipe {
  protected readonly parameter = FIELDS_KEY;

  protected readParameter({ segments, value }: QueryParameter, draft: QueryDraft): void {
    if (segments.length !== 1) failFieldsShape(segments, draft.schema);
    draft.fields[segments[0]] = parseFieldset(segments[0], value, draft.schema);
  }
}

/** `filter[...]`: conditions, `trashed` and `has`. */
@Injectable()
export class FilterPipe extends QueryParameterPipe {
  protected readonly parameter = FILTER_KEY;

  protected readParameter({ key, segments, value }: QueryParameter, draft: QueryDraft): void {
    const filter = parseFilterParameter(segments, value, draft.schema, draft.mode);
    if (filter.kind === 'condition') {
      draft.filters.push(filter.condition);
    } else if (filter.kind === 'trashed') {
      if (filter.scope === undefined) draft.trashed = filter.mode;
      else draft.scopedTrashed.set(filter.scope, filter.mode);
    } else {
      if (draft.hasKey !== undefined) {
        failParameter(
          dottedKey(key),
          `${key} can't be combined with ${draft.hasKey}: use one ${HAS_FILTER} filter.`,
        );
      }
      draft.has = { relations: filter.relations, logic: filter.logic };
      draft.hasKey = key;
    }
  }
}

/** `sort=-path` or `sort[<type>]=...`. */
@Injectable()
export class SortPipe extends QueryParameterPipe {
  protected readonly parameter = SORT_KEY;

  override transform(draft: QueryDraft): QueryDraft {
    // `sort[a][b]` is not a sort: it stays unclaimed (an unknown parameter).
    for (const parameter of draft.parameters) {
      if (parameter.name !== SORT_KEY || parameter.segments.length > 1) continue;
      draft.claimed.add(parameter.index);
      draft.read(parameter.index, () => this.readParameter(parameter, draft));
    }
    return draft;
  }

  protected readParameter({ key, segments, value }: QueryParameter, draft: QueryDraft): void {
    const schema = draft.schema;
    const sort = parseSortParameter(segments, value, schema, draft.mode);
    if (sort.plain) draft.plainSortKey = key;
    else draft.typedSortKey ??= key;
    if (draft.plainSortKey !== undefined && draft.typedSortKey !== undefined) {
      failParameter(
        SORT_KEY,
        `sort and ${draft.typedSortKey} can't be combined: sort each type with sort[<type>] (sort[${schema.type}] for the ${schema.pluralKey}).`,
      );
    }
    draft.sort.set(sort.type, sort.spec);
  }
}

/** `page[size]`, `page[number]`, `page[cursor]` (lists only). */
@Injectable()
export class PagePipe extends QueryParameterPipe {
  protected readonly parameter = PAGE_KEY;

  protected readParameter({ key, segments, value }: QueryParameter, draft: QueryDraft): void {
    const schema = draft.schema;
    if (draft.mode === 'show') {
      failParameter(
        dottedKey(key),
        `${key} pages a list of ${schema.pluralKey}, so it is not accepted when showing one ${schema.singularKey}.`,
      );
    }
    if (segments.length !== 1 || !isPageParameter(segments[0])) failPageShape(segments);
    const parameter = segments[0];
    if (parameter === 'cursor') {
      draft.page.cursor = parsePageCursor(value);
    } else {
      if (parameter === 'number') draft.pageNumberGiven = true;
      draft.page[parameter] = parsePageParameter(parameter, value, schema.page);
    }
  }
}

/** The five, in the order `parseQuery` applies them (each reads only its own pairs). */
export const QUERY_PARAMETER_PIPES: readonly PipeTransform<QueryDraft, QueryDraft>[] = [
  new IncludePipe(),
  new FieldsPipe(),
  new FilterPipe(),
  new SortPipe(),
  new PagePipe(),
];
