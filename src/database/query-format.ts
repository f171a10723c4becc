import { escape, format, type SqlValue } from 'mysql2';

/**
 * mysql2's `queryFormat` hook (its documented extension point): the text mysql2's own `format`
 * would send, with each statement text's placeholders found once rather than on every run. The
 * read path keeps its statements per parsed query, and scanning their quoted identifiers for `?`
 * was the largest cost a show with includes had over the ceiling (docs/PERFORMANCE.md, "The
 * twenty-ninth session"). query-format.spec.ts proves the two texts equal.
 */
export type QueryFormat = (
  this: { config: { stringifyObjects?: boolean } },
  sql: string,
  values: unknown,
  timezone?: string,
) => string;

/** A statement text cut at its placeholders, for exactly `count` values. */
interface Template {
  readonly chunks: readonly string[];
  readonly count: number;
}

/** Statement texts remembered at most; past it the memory starts again (texts built per request). */
const MAX_TEMPLATES = 1024;
const MARK = '\u0000';
const NOT_CUT = null;

/** The placeholders mysql2's `format` fills, found by letting it fill them with markers. */
function templateOf(sql: string, count: number, timezone: string | undefined): Template | null {
  if (sql.includes(MARK)) return NOT_CUT;
  const markers = Array.from({ length: count }, (_, index) => ({
    toSqlString: () => `${MARK}${index}${MARK}`,
  }));
  let marked: string;
  try {
    marked = format(sql, markers, false, timezone);
  } catch {
    return NOT_CUT;
  }
  const parts = marked.split(MARK);
  // [chunk, 0, chunk, 1, chunk, …]: every value placed once, in order (`??` places none).
  if (parts.length !== 2 * count + 1) return NOT_CUT;
  for (let index = 0; index < count; index++) {
    if (parts[2 * index + 1] !== String(index)) return NOT_CUT;
  }
  return { chunks: parts.filter((_, index) => index % 2 === 0), count };
}

/** One value as `format` writes it in place of a `?`; `undefined` for what only `format` knows. */
function escaped(value: unknown, stringifyObjects: boolean, timezone?: string): string | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return `${value}`;
  if (value === null || typeof value !== 'object' || stringifyObjects) {
    return escape(value as SqlValue, stringifyObjects, timezone);
  }
  // Lists, dates and buffers escape alike at any depth; other objects may be `SET ?` assignments.
  if (Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
    return escape(value as SqlValue, true, timezone);
  }
  return undefined;
}

export function createQueryFormat(): QueryFormat {
  const templates = new Map<string, Template | null>();
  return function queryFormat(sql, values, timezone) {
    const stringifyObjects = this.config.stringifyObjects ?? false;
    if (!Array.isArray(values)) return format(sql, values as SqlValue, stringifyObjects, timezone);
    // With no values `format` returns the text as it is.
    if (values.length === 0) return sql;
    let template = templates.get(sql);
    if (template === undefined) {
      if (templates.size >= MAX_TEMPLATES) templates.clear();
      template = templateOf(sql, values.length, timezone);
      templates.set(sql, template);
    }
    if (template === null || template.count !== values.length) {
      return format(sql, values as SqlValue[], stringifyObjects, timezone);
    }
    const { chunks } = template;
    let text = chunks[0];
    for (let index = 0; index < values.length; index++) {
      const value = escaped(values[index], stringifyObjects, timezone);
      if (value === undefined) return format(sql, values as SqlValue[], stringifyObjects, timezone);
      text += value + chunks[index + 1];
    }
    return text;
  };
}
