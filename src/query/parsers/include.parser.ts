import { failParameter, quote } from '../query-error';
import type { RootResourceSchema } from '../query.types';
import { firstDuplicate, splitIdentifierList } from './identifier-list.parser';

export const INCLUDE_KEY = 'include';

/** `include=anime,artists` → `['anime', 'artists']`: known include names, each once. */
export function parseInclude(value: string, schema: RootResourceSchema): string[] {
  const allowed = schema.includes.map((include) => include.name);
  if (allowed.length === 0) {
    failParameter(INCLUDE_KEY, `${schema.pluralKey} have no includes.`);
  }
  const entries = splitIdentifierList(value, INCLUDE_KEY, 'include');
  const unknown = entries.find((entry) => !allowed.includes(entry));
  if (unknown !== undefined) {
    failParameter(
      INCLUDE_KEY,
      `Unknown include ${quote(unknown)}. Allowed includes: ${allowed.join(', ')}.`,
    );
  }
  const duplicate = firstDuplicate(entries);
  if (duplicate !== undefined) {
    failParameter(INCLUDE_KEY, `include lists ${quote(duplicate)} more than once.`);
  }
  return entries;
}
