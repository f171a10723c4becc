import { failParameter, quote } from '../query-error';
import { findResource, resourcesOf } from '../query-schema.helpers';
import type { RootResourceSchema } from '../query.types';
import { firstDuplicate, splitIdentifierList } from './identifier-list.parser';

export const FIELDS_KEY = 'fields';

function typeList(schema: RootResourceSchema): string {
  return resourcesOf(schema)
    .map((resource) => resource.type)
    .join(', ');
}

/** `fields` without a type, or with more than one bracket: always a 422. */
export function failFieldsShape(segments: readonly string[], schema: RootResourceSchema): never {
  const key = [FIELDS_KEY, ...segments].join('.');
  failParameter(
    key,
    `fields must name one type: fields[<type>]=<comma list of fields>. Types: ${typeList(schema)}.`,
  );
}

/**
 * `fields[<type>]=a,b` → that type's listed fields, in the schema's (render) order. Unknown type,
 * unknown field, a field listed twice or an empty list is a 422 at `fields.<type>`.
 */
export function parseFieldset(type: string, value: string, schema: RootResourceSchema): string[] {
  const key = `${FIELDS_KEY}.${type}`;
  const label = `fields[${type}]`;
  const resource = findResource(schema, type);
  if (resource === undefined) {
    failParameter(key, `Unknown type ${quote(type)} in ${label}. Types: ${typeList(schema)}.`);
  }
  const allowed = resource.fields.map((field) => field.name);
  const entries = splitIdentifierList(value, key, label);
  const unknown = entries.find((entry) => !allowed.includes(entry));
  if (unknown !== undefined) {
    failParameter(
      key,
      `Unknown field ${quote(unknown)} in ${label}. Allowed fields: ${allowed.join(', ')}.`,
    );
  }
  const duplicate = firstDuplicate(entries);
  if (duplicate !== undefined) {
    failParameter(key, `${label} lists ${quote(duplicate)} more than once.`);
  }
  return allowed.filter((field) => entries.includes(field));
}
