import { ValidationFailedError } from '../../common/api-error';
import { parseParameterKey } from '../query-key';
import { QueryErrorCollector } from '../query-error';
import { resourcesOf } from '../query-schema.helpers';
import type {
  FilterCondition,
  FilterLogic,
  ParsedQuery,
  QueryMode,
  RootResourceSchema,
  SortSpec,
  TrashedMode,
} from '../query.types';

/** One `key=value` pair of a query, where it stood, and its key split into name and segments. */
export interface QueryParameter {
  readonly index: number;
  readonly key: string;
  readonly value: string;
  /** Undefined when the key is not `name[segment]...`. */
  readonly name?: string;
  readonly segments: readonly string[];
}

/**
 * A query being parsed: its pairs in the order sent, and what the parameter pipes have read so
 * far. Each pipe reads the pairs of its own parameter; the errors are reported in the order of the
 * pairs they concern, whichever pipe found them, so the 422 reads as one pass over the query would.
 */
export class QueryDraft {
  readonly parameters: readonly QueryParameter[];
  /** The indexes of the pairs some pipe has read; any other pair is an unknown parameter. */
  readonly claimed = new Set<number>();

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

  private readonly errors: { index: number; error: ValidationFailedError }[] = [];

  constructor(
    pairs: readonly (readonly [string, string])[],
    readonly schema: RootResourceSchema,
    readonly mode: QueryMode,
  ) {
    this.parameters = pairs.map(([key, value], index) => {
      const parsed = parseParameterKey(key);
      return { index, key, value, name: parsed?.name, segments: parsed?.segments ?? [] };
    });
    this.page = { size: schema.page.defaultSize, number: 1 };
  }

  /** The pairs named `name`, in order, claimed by the caller. */
  parametersNamed(name: string): QueryParameter[] {
    const named = this.parameters.filter((parameter) => parameter.name === name);
    for (const parameter of named) this.claimed.add(parameter.index);
    return named;
  }

  /** Runs the reading of one pair; its 422 is kept (at the pair's place), anything else thrown. */
  read(index: number, work: () => void): void {
    try {
      work();
    } catch (error) {
      if (!(error instanceof ValidationFailedError)) throw error;
      this.errors.push({ index, error });
    }
  }

  /** Throws every error found (one 422 naming each bad parameter, first problem first). */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const collector = new QueryErrorCollector();
    const ordered = [...this.errors].sort((a, b) => a.index - b.index);
    for (const { error } of ordered)
      collector.capture(() => {
        throw error;
      });
    collector.throwIfAny();
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
