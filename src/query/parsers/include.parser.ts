import { failParameter, quote } from '../query-error';
import { includeNames } from '../query-schema.helpers';
import type { RootResourceSchema } from '../query.types';
import { firstDuplicate, splitIdentifierList } from './identifier-list.parser';

export const INCLUDE_KEY = 'include';

/**
 * `include=artists,anime` → `['anime', 'artists']`: known include names, each once, returned in the
 * schema's order whatever order the client wrote.
 */
export function parseInclude(value: string, schema: RootResourceSchema): string[] {
  const allowed = includeNames(schema);
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
  // In the schema's order, so the included arrays always render in the same order.
  return allowed.filter((name) => entries.includes(name));
}
