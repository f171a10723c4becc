import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { assertQuerySchema, defineEnum, defineField, filtersFor } from './query-schema.helpers';
import { trashedFor } from './query-plan';
import type { FilterCondition, ParsedQuery, RootResourceSchema } from './query.types';

const root = (overrides: Partial<RootResourceSchema> = {}): RootResourceSchema => ({
  type: 'note',
  table: 'notes',
  primaryKey: 'note_id',
  softDeletes: true,
  pluralKey: 'notes',
  singularKey: 'note',
  fields: [defineField('note_id', 'int', { default: true, filterable: true, sortable: true })],
  includes: [],
  page: { defaultSize: 10, maxSize: 20 },
  allowRandomSort: false,
  ...overrides,
});

describe('defineField', () => {
  it('should default the column to the name and every flag to false', () => {
    expect(defineField('name', 'string')).toEqual({
      name: 'name',
      column: 'name',
      type: 'string',
      default: false,
      filterable: false,
      sortable: false,
    });
  });
});

describe('defineEnum', () => {
  it('should map display names by int and accept them lower-cased, plus extra aliases', () => {
    expect(defineEnum(['Winter', 'Spring'], { Frost: 0 })).toEqual({
      names: { 0: 'Winter', 1: 'Spring' },
      aliases: { winter: 0, spring: 1, frost: 0 },
    });
  });
});

describe('assertQuerySchema', () => {
  it('should accept the image schema', () => {
    expect(() => assertQuerySchema(IMAGE_QUERY_SCHEMA)).not.toThrow();
  });

  it.each<[string, RootResourceSchema, string]>([
    [
      'duplicate fields',
      root({ fields: [defineField('note_id', 'int'), defineField('note_id', 'int')] }),
      'note: duplicate fields',
    ],
    [
      'a missing primary key',
      root({ fields: [defineField('body', 'string')] }),
      'note: the primary key must be a field with its own column',
    ],
    [
      'a filterable computed field',
      root({
        fields: [
          defineField('note_id', 'int'),
          defineField('url', 'string', { column: null, filterable: true }),
        ],
      }),
      'note.url: filterable or sortable without a column',
    ],
    [
      'an enum without values',
      root({ fields: [defineField('note_id', 'int'), defineField('kind', 'enum')] }),
      'note.kind: an enum field needs an enum definition, and only it',
    ],
    [
      'a computed field needing an unknown column',
      root({
        fields: [
          defineField('note_id', 'int'),
          defineField('url', 'string', { column: null, requires: ['path'] }),
        ],
      }),
      'note.url: requires unknown column path',
    ],
    [
      'a dash in a field name',
      root({ fields: [defineField('note_id', 'int'), defineField('created-at', 'date')] }),
      'note.created-at: names may only use letters, digits and _ (- separates operators)',
    ],
    [
      'a field named like a reserved filter',
      root({
        fields: [
          defineField('note_id', 'int'),
          defineField('trashed', 'string', { filterable: true }),
        ],
      }),
      "note.trashed: 'trashed' is a reserved filter name",
    ],
  ])('should refuse %s', (_what, schema, problem) => {
    expect(() => assertQuerySchema(schema)).toThrow(`Invalid query schema 'note': ${problem}`);
  });

  it('should refuse one filter name with different types on two resources', () => {
    const tag = {
      type: 'tag',
      table: 'tags',
      primaryKey: 'tag_id',
      softDeletes: false,
      fields: [
        defineField('tag_id', 'int'),
        defineField('note_id', 'string', { filterable: true }),
      ],
    };
    const schema = root({
      includes: [
        {
          name: 'tags',
          resource: tag,
          pivotTable: 'note_tag',
          pivotOwnerKey: 'note_id',
          pivotRelatedKey: 'tag_id',
        },
      ],
    });
    expect(() => assertQuerySchema(schema)).toThrow(
      "Invalid query schema 'note': tag.note_id: filter type differs from another type's note_id",
    );
  });
});

describe('trashedFor and filtersFor', () => {
  const condition = (key: string, extra: Partial<FilterCondition>): FilterCondition => ({
    key,
    field: 'name',
    operator: 'eq',
    logic: 'and',
    negated: false,
    values: ['x'],
    ...extra,
  });
  const query: ParsedQuery = {
    include: [],
    fields: {},
    filters: [
      condition('filter.name', { appliesTo: ['anime', 'artist'] }),
      condition('filter.anime.name', { scope: 'anime' }),
      condition('filter.artist.name', { scope: 'artist', appliesTo: ['artist'] }),
    ],
    trashed: 'with',
    trashedByType: { anime: 'only' },
    sort: {},
    page: { size: 15, number: 1 },
  };

  it('should read the scoped trashed mode, else the unscoped one', () => {
    const resource = root();
    expect(trashedFor(query, { ...resource, type: 'anime' })).toBe('only');
    expect(trashedFor(query, { ...resource, type: 'artist' })).toBe('with');
  });

  it('should pick the conditions on one type in order', () => {
    expect(filtersFor(query, 'anime').map((filter) => filter.key)).toEqual([
      'filter.name',
      'filter.anime.name',
    ]);
    expect(filtersFor(query, 'artist').map((filter) => filter.key)).toEqual([
      'filter.name',
      'filter.artist.name',
    ]);
    expect(filtersFor(query, 'studio')).toEqual([]);
  });
});
