import { dottedKey, parseParameterKey } from './query-key';
import { QUERY_ERROR_KEY, QueryErrorCollector, quote } from './query-error';
import { isWellFormed } from '../common/unicode';

/**
 * The limits of a query, whatever transport it came by. Anything beyond them is a 422; they are far
 * above what a real request needs (the longest sensible query is a few hundred characters).
 */
export const QUERY_INPUT_LIMITS = {
  /** Characters of a raw query string (before percent-decoding). */
  maxQueryStringLength: 8192,
  /** Parameters (key/value pairs) in one query. */
  maxParameters: 50,
  /** Characters of one parameter name (`filter[anime][media_format-not-or]` is 34). */
  maxKeyLength: 100,
  /** Characters of one parameter value. */
  maxValueLength: 2048,
  /** Levels of a nested object (`{filter: {anime: {year: 2020}}}` has 3). */
  maxDepth: 3,
} as const;

/** Names that could reach an object's prototype if anything downstream used them as a key. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

// C0 control characters (NUL included), DEL and C1 (U+0080–U+009F): never part of a valid parameter.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

type Pairs = [string, string][];

function isPlainObject(value: object): boolean {
  // Fastify's query object has a prototype without Object.prototype; any `[object Object]` is fine
  // because only its own enumerable string keys are read. Dates, Maps, Buffers... are refused.
  return !Array.isArray(value) && Object.prototype.toString.call(value) === '[object Object]';
}

class QueryInputReader {
  readonly pairs: Pairs = [];
  readonly errors = new QueryErrorCollector();
  private readonly seen = new Set<string>();
  private tooMany = false;

  get full(): boolean {
    return this.tooMany;
  }

  /** Validates and records one parameter; false once the parameter limit is reached. */
  add(key: string, value: string): boolean {
    if (this.pairs.length >= QUERY_INPUT_LIMITS.maxParameters) {
      this.errors.add(
        QUERY_ERROR_KEY,
        `The query has more than ${QUERY_INPUT_LIMITS.maxParameters} parameters.`,
      );
      this.tooMany = true;
      return false;
    }
    if (!this.isValidKey(key)) return true;
    if (value.length > QUERY_INPUT_LIMITS.maxValueLength) {
      this.errors.add(
        dottedKey(key),
        `The value of ${key} is longer than ${QUERY_INPUT_LIMITS.maxValueLength} characters.`,
      );
    } else if (CONTROL_CHARACTERS.test(value) || !isWellFormed(value)) {
      this.errors.add(
        dottedKey(key),
        `The value of ${key} contains a control character (such as NUL) or invalid unicode.`,
      );
    }
    if (this.seen.has(key)) {
      this.givenTwice(key);
    } else {
      this.seen.add(key);
      this.pairs.push([key, value]);
    }
    return true;
  }

  givenTwice(key: string): void {
    this.errors.add(
      dottedKey(key),
      `The parameter ${key} was given more than once (or as a list); give it once, with a comma-separated value.`,
    );
  }

  private isValidKey(key: string): boolean {
    if (key.length === 0) {
      this.errors.add(QUERY_ERROR_KEY, 'The query has a parameter without a name.');
      return false;
    }
    if (key.length > QUERY_INPUT_LIMITS.maxKeyLength) {
      this.errors.add(
        QUERY_ERROR_KEY,
        `The parameter name ${quote(key)} is longer than ${QUERY_INPUT_LIMITS.maxKeyLength} characters.`,
      );
      return false;
    }
    if (CONTROL_CHARACTERS.test(key) || !isWellFormed(key)) {
      this.errors.add(
        QUERY_ERROR_KEY,
        'A parameter name contains a control character (such as NUL) or invalid unicode.',
      );
      return false;
    }
    const parsed = parseParameterKey(key);
    const names = parsed === undefined ? [key] : [parsed.name, ...parsed.segments];
    const forbidden = names.find((name) => FORBIDDEN_NAMES.has(name));
    if (forbidden !== undefined) {
      this.errors.add(QUERY_ERROR_KEY, `The parameter name ${quote(key)} is not allowed.`);
      return false;
    }
    return true;
  }
}

function readQueryString(text: string, reader: QueryInputReader): void {
  const query = text.startsWith('?') ? text.slice(1) : text;
  if (query.length > QUERY_INPUT_LIMITS.maxQueryStringLength) {
    reader.errors.add(
      QUERY_ERROR_KEY,
      `The query string is longer than ${QUERY_INPUT_LIMITS.maxQueryStringLength} characters.`,
    );
    return;
  }
  // URLSearchParams decodes percent escapes and `+` as a space, and never throws on a bad escape.
  for (const [key, value] of new URLSearchParams(query)) {
    if (!reader.add(key, value)) return;
  }
}

function readValue(key: string, value: unknown, depth: number, reader: QueryInputReader): void {
  switch (typeof value) {
    case 'string':
      reader.add(key, value);
      return;
    case 'number':
      if (Number.isFinite(value)) reader.add(key, String(value));
      else reader.errors.add(dottedKey(key), `The value of ${key} is not a finite number.`);
      return;
    case 'boolean':
    case 'bigint':
      reader.add(key, String(value));
      return;
    case 'undefined':
      // An optional property a transport left unset: the parameter is absent.
      return;
    case 'object':
      if (value === null) {
        reader.errors.add(dottedKey(key), `The parameter ${key} has no value (null).`);
      } else if (Array.isArray(value)) {
        reader.givenTwice(key);
      } else if (!isPlainObject(value)) {
        reader.errors.add(dottedKey(key), `The value of ${key} must be a string.`);
      } else if (depth >= QUERY_INPUT_LIMITS.maxDepth) {
        reader.errors.add(dottedKey(key), `The parameter ${key} is nested too deeply.`);
      } else {
        readObject(value as Record<string, unknown>, key, depth + 1, reader);
      }
      return;
    default:
      reader.errors.add(dottedKey(key), `The value of ${key} must be a string.`);
  }
}

function readObject(
  object: Record<string, unknown>,
  prefix: string | undefined,
  depth: number,
  reader: QueryInputReader,
): void {
  for (const name of Object.keys(object)) {
    if (reader.full) return;
    if (prefix !== undefined && /[[\]]/.test(name)) {
      reader.errors.add(
        dottedKey(prefix),
        `The nested parameter name ${quote(name)} under ${prefix} must not contain brackets.`,
      );
      continue;
    }
    if (FORBIDDEN_NAMES.has(name)) {
      reader.errors.add(QUERY_ERROR_KEY, `The parameter name ${quote(name)} is not allowed.`);
      continue;
    }
    const key = prefix === undefined ? name : `${prefix}[${name}]`;
    if (key.length > QUERY_INPUT_LIMITS.maxKeyLength) {
      reader.errors.add(
        QUERY_ERROR_KEY,
        `The parameter name ${quote(key)} is longer than ${QUERY_INPUT_LIMITS.maxKeyLength} characters.`,
      );
      continue;
    }
    readValue(key, object[name], depth, reader);
  }
}

/**
 * Turns a query, however it arrived, into ordered `[key, value]` pairs with flat bracketed keys:
 * - a raw query string (`filter[facet]=Cover&page[size]=5`, with or without `?`): percent-decoded,
 *   `+` as a space;
 * - Fastify's parsed query object (`{'filter[facet]': 'Cover'}`; a repeated key arrives as an array);
 * - a nested plain object from a message transport (`{filter: {anime: {year: 2020}}, page: {size: 5}}`
 *   → `filter[anime][year]=2020`, `page[size]=5`; numbers, booleans and bigints are stringified,
 *   `undefined` properties are left out).
 *
 * Keeps the order the client wrote (filters fold left to right). A repeated parameter, a list, a
 * null, a non-plain object, a forbidden name (`__proto__`, `constructor`, `prototype`), a control
 * character or invalid unicode, or anything past `QUERY_INPUT_LIMITS` is a 422 (ValidationFailedError)
 * naming every problem found; nothing else is ever thrown.
 */
export function normalizeQueryInput(input: unknown): [string, string][] {
  const reader = new QueryInputReader();
  try {
    if (input === undefined || input === null) return [];
    if (typeof input === 'string') readQueryString(input, reader);
    else if (input instanceof URLSearchParams) readQueryString(input.toString(), reader);
    else if (typeof input === 'object' && isPlainObject(input)) {
      readObject(input as Record<string, unknown>, undefined, 1, reader);
    } else {
      reader.errors.add(
        QUERY_ERROR_KEY,
        'The query must be a query string or an object of parameters.',
      );
    }
  } catch {
    // A hostile object (a throwing getter or proxy trap) is bad input, not a server fault.
    reader.errors.add(QUERY_ERROR_KEY, 'The query could not be read.');
  }
  reader.errors.throwIfAny();
  return reader.pairs;
}
