/**
 * Conversions of single filter values into what the database binds: ints, enum ints and
 * `YYYY-MM-DD HH:MM:SS.ffffff` timestamps. Each returns undefined when the text is not valid.
 */
import type { EnumDefinition } from '../query.types';

/**
 * Splits a filter value on commas (IN); a backslash right before a comma makes it a literal comma
 * (`a\,b` is the one value `a,b`); a backslash anywhere else is kept as written.
 */
export function splitFilterValues(text: string): string[] {
  // Slices, not a string grown a character at a time: V8 keeps such a string as a chain of
  // one-character pieces, 30 times its size, and parsed queries are kept (ParsedQueryCache).
  const values: string[] = [];
  let current = '';
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (character === '\\' && text[index + 1] === ',') {
      current += `${text.slice(start, index)},`;
      index += 1;
      start = index + 1;
    } else if (character === ',') {
      values.push(current + text.slice(start, index));
      current = '';
      start = index + 1;
    }
  }
  values.push(current + text.slice(start));
  return values;
}

/** Leading zeros are no digits of the value (`007` is 7), however many there are. */
const INTEGER_PATTERN = /^-?0*\d{1,16}$/;

/** A base-10 integer within ±(2^53 − 1): no sign `+`, no fraction, no exponent, no spaces. */
export function parseIntegerValue(text: string): number | undefined {
  if (!INTEGER_PATTERN.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value + 0 : undefined; // `+ 0` turns -0 into 0
}

export const DATE_FORMATS = [
  'YYYY',
  'YYYY-MM',
  'YYYY-MM-DD',
  'YYYY-MM-DDTHH',
  'YYYY-MM-DDTHH:MM',
  'YYYY-MM-DDTHH:MM:SS',
  'YYYY-MM-DDTHH:MM:SS.ffffff',
] as const;

export const DATE_FORMATS_DESCRIPTION = `${DATE_FORMATS.join(', ')} (1 to 6 fraction digits), each optionally ending in Z; all UTC, years 0001 to 9999`;

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?)?)?)?Z?$/;

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one (proleptic Gregorian, UTC).
  const date = new Date(Date.UTC(2000, month, 0));
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/**
 * A UTC date or time in one of DATE_FORMATS, missing parts meaning the start of the period, as a
 * database timestamp: `2024-02` → `2024-02-01 00:00:00.000000`. A date that is not on the calendar
 * (`2024-02-30`, hour 24, second 60) is invalid.
 */
export function parseDateValue(text: string): string | undefined {
  const match = DATE_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, year, month = '01', day = '01', hour = '00', minute = '00', second = '00'] = match;
  const fraction = (match[7] ?? '').padEnd(6, '0');
  const [y, m, d, h, i, s] = [year, month, day, hour, minute, second].map(Number);
  const valid =
    y >= 1 &&
    m >= 1 &&
    m <= 12 &&
    d >= 1 &&
    d <= daysInMonth(y, m) &&
    h <= 23 &&
    i <= 59 &&
    s <= 59;
  return valid ? `${year}-${month}-${day} ${hour}:${minute}:${second}.${fraction}` : undefined;
}

/** An enum's int from one of its accepted names, case-insensitively (`large cover` → 1). */
export function parseEnumValue(text: string, definition: EnumDefinition): number | undefined {
  const key = text.toLowerCase();
  return Object.prototype.hasOwnProperty.call(definition.aliases, key)
    ? definition.aliases[key]
    : undefined;
}

/** `Small Cover, Cover, Grill (case-insensitive; also: Large Cover)` for messages. */
export function describeEnum(definition: EnumDefinition): string {
  const names = Object.values(definition.names);
  const lowerNames = new Set(names.map((name) => name.toLowerCase()));
  const extra = Object.keys(definition.aliases)
    .filter((alias) => !lowerNames.has(alias))
    .map((alias) => alias.replace(/\b\w/g, (letter) => letter.toUpperCase()));
  const also = extra.length === 0 ? '' : `; also: ${extra.join(', ')}`;
  return `${names.join(', ')} (case-insensitive${also})`;
}
