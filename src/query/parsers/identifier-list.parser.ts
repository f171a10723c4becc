import { failParameter, quote } from '../query-error';

/** Entries of one comma list (include, fields, sort, has) or filter value list. */
export const MAX_LIST_ENTRIES = 100;

/**
 * Splits a comma list of names (`anime, artists`): entries are trimmed; an empty value, an empty
 * entry (`anime,,artists`, a trailing comma) or more than MAX_LIST_ENTRIES entries is a 422 at `key`.
 * `label` is the parameter as the client wrote it, for the message.
 */
export function splitIdentifierList(value: string, key: string, label: string): string[] {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_LIST_ENTRIES) {
    failParameter(key, `${label} lists more than ${MAX_LIST_ENTRIES} entries.`);
  }
  if (entries.every((entry) => entry === '')) {
    failParameter(key, `${label} is empty: leave the parameter out instead.`);
  }
  if (entries.includes('')) {
    failParameter(key, `${label} has an empty entry in ${quote(value)}.`);
  }
  return entries;
}

/** The first entry listed twice, if any. */
export function firstDuplicate(entries: readonly string[]): string | undefined {
  return entries.find((entry, index) => entries.indexOf(entry) !== index);
}
