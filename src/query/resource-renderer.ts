import { renderTimestamp } from '../database/timestamps';
import {
  BelongsToDefinition,
  FieldDefinition,
  IncludeDefinition,
  ResourceSchema,
} from './query.types';
import { pivotAlias, planFields } from './query-plan';

/** A raw database row, keyed by column name (as the read path selects it). */
export type RawRow = Readonly<Record<string, unknown>>;
export type RenderedResource = Record<string, unknown>;
export type ResourceRenderer = (row: RawRow) => RenderedResource;

/** Fields the database does not hold, computed from the row (`link` from `path`). */
export type ComputedFields = Readonly<Record<string, (row: RawRow) => unknown>>;

type ValueReader = (row: RawRow) => unknown;

/** How one field turns a raw value into JSON, chosen once per field. */
function readerFor(field: FieldDefinition, computed: ComputedFields): ValueReader {
  const compute = computed[field.name];
  if (compute !== undefined) return compute;
  const column = field.column;
  if (column === undefined) return () => null;
  switch (field.type) {
    case 'int':
      // MySQL may hand a bigint over as a string; JSON shows numbers.
      return (row) => {
        const value = row[column];
        return value === null || value === undefined ? null : Number(value);
      };
    case 'enum': {
      const names = field.enum?.names ?? {};
      return (row) => {
        const value = row[column];
        return value === null || value === undefined ? null : (names[Number(value)] ?? null);
      };
    }
    case 'date':
      return (row) => {
        const value = row[column];
        // The stored form (`2024-01-15 12:00:00.123456`, as both drivers hand it over) takes the
        // short way; anything else goes through the general renderer.
        if (typeof value === 'string' && value.length === 26 && value.charCodeAt(10) === 32) {
          return `${value.slice(0, 10)}T${value.slice(11)}Z`;
        }
        return renderTimestamp(value as string | Date | null | undefined);
      };
    case 'string':
      return (row) => row[column] ?? null;
  }
}

const renderers = new WeakMap<ResourceSchema, WeakMap<object, Map<string, ResourceRenderer>>>();
const NO_COMPUTED: ComputedFields = Object.freeze({});

/**
 * A renderer for one type and one `fields[type]` list (undefined: the defaults): keys in the schema's
 * order, values converted per field type. Built once per combination and cached, so rendering a row
 * is one loop over precomputed readers.
 */
export function compileRenderer(
  resource: ResourceSchema,
  fields: readonly string[] | undefined,
  computed: ComputedFields = NO_COMPUTED,
): ResourceRenderer {
  let byComputed = renderers.get(resource);
  if (byComputed === undefined) {
    byComputed = new WeakMap();
    renderers.set(resource, byComputed);
  }
  let byFields = byComputed.get(computed);
  if (byFields === undefined) {
    byFields = new Map();
    byComputed.set(computed, byFields);
  }
  const key = fields === undefined ? '' : `=${fields.join(',')}`;
  const cached = byFields.get(key);
  if (cached !== undefined) return cached;

  const { rendered } = planFields(resource, fields);
  const renderer = objectLiteralRenderer(
    rendered.map((field) => field.name),
    rendered.map((field) => readerFor(field, computed)),
  );
  if (byFields.size < 1024) byFields.set(key, renderer);
  return renderer;
}

/**
 * `(row) => ({ "image_id": r0(row), "path": r1(row), … })`, generated once per field list. An
 * object literal gets its final shape in one allocation, and each reader has a call site of its own
 * that the JIT can inline; a loop of `result[names[i]] = readers[i](row)` made every store and call
 * megamorphic (docs/PERFORMANCE.md). Only the schema's field names go into the source, each as a
 * JSON string literal; the readers come in as arguments.
 */
function objectLiteralRenderer(
  names: readonly string[],
  readers: readonly ValueReader[],
): ResourceRenderer {
  // A literal `"__proto__": …` would set the prototype, not a property.
  if (names.includes('__proto__')) throw new Error('A field cannot be named __proto__.');
  const properties = names.map((name, index) => `${JSON.stringify(name)}: r${index}(row)`);
  const parameters = readers.map((_, index) => `r${index}`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- source made only of the above
  const build = new Function(
    ...parameters,
    `"use strict"; return function render(row) { return { ${properties.join(', ')} }; };`,
  ) as (...readers: ValueReader[]) => ResourceRenderer;
  return build(...readers);
}

/** The included rows of one relation, grouped by owner id (see the include loader). */
export interface IncludedRowGroups {
  readonly include: IncludeDefinition;
  readonly byOwner: ReadonlyMap<number, readonly RawRow[]>;
}

/**
 * A renderer for the rows of an included relation: the related type's fields, then the pivot object
 * (`"artistimage": {"depth": 1}`) when the relation declares one.
 */
export function compileIncludedRenderer(
  include: IncludeDefinition,
  fields: readonly string[] | undefined,
): ResourceRenderer {
  const renderRelated = compileRenderer(include.resource, fields);
  const pivotObject = include.pivotObject;
  if (pivotObject === undefined) return renderRelated;
  const columns = pivotObject.columns;
  const aliases = columns.map(pivotAlias);
  return (row) => {
    const rendered = renderRelated(row);
    const pivot: RenderedResource = {};
    for (let index = 0; index < columns.length; index++) {
      pivot[columns[index]] = row[aliases[index]] ?? null;
    }
    rendered[pivotObject.name] = pivot;
    return rendered;
  };
}

/**
 * Renders root rows with their included arrays after the fields (an included relation with no rows
 * is `[]`), in the order the groups are given.
 */
export function renderWithIncludes(
  rows: readonly RawRow[],
  renderRoot: ResourceRenderer,
  primaryKey: string,
  included: readonly IncludedRowGroups[],
  fields: Readonly<Record<string, readonly string[]>>,
): RenderedResource[] {
  const relations = included.map((group) => ({
    name: group.include.name,
    byOwner: group.byOwner,
    render: compileIncludedRenderer(group.include, fields[group.include.resource.type]),
  }));
  return rows.map((row) => {
    const rendered = renderRoot(row);
    if (relations.length === 0) return rendered;
    const id = Number(row[primaryKey]);
    for (const relation of relations) {
      const related = relation.byOwner.get(id);
      rendered[relation.name] = related === undefined ? [] : related.map(relation.render);
    }
    return rendered;
  });
}

/** The rows of one included to-one relation, by their primary key (see the include loader). */
export interface BelongsToRows {
  readonly relation: BelongsToDefinition;
  readonly byKey: ReadonlyMap<number, RawRow>;
}

/**
 * Adds each included to-one relation to rendered root rows as one object (`"anime": {...}`), after
 * their fields and arrays: the related row the root row's foreign key names, or null.
 */
export function renderBelongsTo(
  rendered: RenderedResource[],
  rows: readonly RawRow[],
  groups: readonly BelongsToRows[],
  fields: Readonly<Record<string, readonly string[]>>,
  computedByType: Readonly<Record<string, ComputedFields>> = {},
): RenderedResource[] {
  for (const { relation, byKey } of groups) {
    const type = relation.resource.type;
    const render = compileRenderer(relation.resource, fields[type], computedByType[type]);
    rows.forEach((row, index) => {
      const related = byKey.get(Number(row[relation.foreignKey]));
      rendered[index][relation.name] = related === undefined ? null : render(related);
    });
  }
  return rendered;
}
