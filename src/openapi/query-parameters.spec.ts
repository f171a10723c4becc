import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { defineEnum, defineField, type RootResourceSchema } from '../query';
import { queryParameters } from './query-parameters';

/** The image schema with two more image fields, as a developer would add them. */
const EXTENDED_SCHEMA: RootResourceSchema = {
  ...IMAGE_QUERY_SCHEMA,
  fields: [
    ...IMAGE_QUERY_SCHEMA.fields,
    defineField('width', 'int', { filterable: true, sortable: true }),
    defineField('format', 'enum', {
      enum: defineEnum(['JPEG', 'PNG', 'AVIF']),
      filterable: true,
    }),
  ],
};

function parameter(schema: RootResourceSchema, mode: 'index' | 'show', name: string) {
  return queryParameters(schema, mode).find((candidate) => candidate.name === name);
}

describe('queryParameters', () => {
  it('should document a filter added to the schema without any other change', () => {
    expect(parameter(EXTENDED_SCHEMA, 'index', 'filter[width]')).toMatchObject({
      in: 'query',
      required: false,
      style: 'form',
      explode: false,
      schema: { type: 'array', items: { type: 'integer' } },
    });
    expect(parameter(EXTENDED_SCHEMA, 'index', 'filter[image][width]')).toBeDefined();
    expect(parameter(EXTENDED_SCHEMA, 'index', 'filter[format]')?.schema).toEqual({
      type: 'array',
      items: { type: 'string', enum: ['JPEG', 'PNG', 'AVIF'] },
    });
    expect(parameter(IMAGE_QUERY_SCHEMA, 'index', 'filter[width]')).toBeUndefined();
  });

  it('should offer a new sortable field in sort and sort[image], and every field in fields[image]', () => {
    const sortValues = parameter(EXTENDED_SCHEMA, 'index', 'sort')?.schema as {
      items: { enum: string[] };
    };
    expect(sortValues.items.enum).toEqual(expect.arrayContaining(['width', '-width']));
    expect(sortValues.items.enum).not.toContain('format');
    const fields = parameter(EXTENDED_SCHEMA, 'index', 'fields[image]')?.schema as {
      items: { enum: string[] };
    };
    expect(fields.items.enum).toEqual([
      'image_id',
      'path',
      'facet',
      'link',
      'created_at',
      'updated_at',
      'deleted_at',
      'width',
      'format',
    ]);
  });

  it('should leave image-only filters, page, sort and sort[image] out of show', () => {
    const names = queryParameters(EXTENDED_SCHEMA, 'show').map((candidate) => candidate.name);
    for (const refused of [
      'filter[width]',
      'filter[facet]',
      'filter[image][facet]',
      'filter[has]',
      'sort',
      'sort[image]',
      'page[size]',
      'page[number]',
    ]) {
      expect([refused, names.includes(refused)]).toEqual([refused, false]);
    }
    expect(names).toEqual(
      expect.arrayContaining(['include', 'fields[image]', 'filter[year]', 'sort[anime]']),
    );
  });

  it('should describe the key grammar of a filter with the operators its type allows', () => {
    const description = parameter(IMAGE_QUERY_SCHEMA, 'index', 'filter[path]')?.description;
    expect(description).toBe(
      '**string** filter on the listed images: text, used as written. Narrows which images are listed. ' +
        'Operators go in the key: `filter[path-<op>]` with `eq`, `ne`, `like`, `notlike` (`eq` is the default), ' +
        'or `filter[path-not]` for NOT IN (`<>` for one value); then `-or` ORs the condition with the ones ' +
        'before it (`filter[path-ne-or]`), `-and` being the default. A comma list means IN (not with a ' +
        'comparison operator); `\\,` is a literal comma. `like`/`notlike` take SQL LIKE patterns (`%` any ' +
        'text, `_` one character).',
    );
  });

  it('should give no parameter an example, and only page[size] a default', () => {
    const withDefaults = queryParameters(IMAGE_QUERY_SCHEMA, 'index').filter(
      (candidate) =>
        'example' in candidate || (candidate.schema !== undefined && 'default' in candidate.schema),
    );
    expect(withDefaults.map((candidate) => [candidate.name, candidate.schema])).toEqual([
      ['page[size]', { type: 'integer', minimum: 1, maximum: 100, default: 15 }],
    ]);
  });
});
