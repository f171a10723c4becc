import type { FieldDefinition, ResourceSchema } from './query.types';
import { compileIncludedRenderer, compileRenderer, renderWithIncludes } from './resource-renderer';
import { TEST_SCHEMA } from './typeorm/test-schema.fixture';

const row = {
  image_id: '9007199254740993',
  path: 'a/b.jpg',
  facet: '1',
  created_at: '2024-01-15 12:00:00.5',
  updated_at: '2024-01-15 12:00:00.123456',
  deleted_at: null,
};
const link = (r: Record<string, unknown>) => `https://cdn.test/${String(r.path)}`;

describe('rendering raw rows through a schema', () => {
  it('should render the default fields in schema order with converted values', () => {
    const rendered = compileRenderer(TEST_SCHEMA, undefined, { link })({ ...row, image_id: 7 });
    expect(rendered).toEqual({
      image_id: 7,
      path: 'a/b.jpg',
      facet: 'Cover',
      link: 'https://cdn.test/a/b.jpg',
    });
    expect(Object.keys(rendered)).toEqual(['image_id', 'path', 'facet', 'link']);
  });

  it('should render field names that need quoting as they are, in schema order', () => {
    const odd = (name: string): FieldDefinition => ({
      name,
      column: 'path',
      type: 'string',
      default: true,
      filterable: false,
      sortable: false,
    });
    const schema: ResourceSchema = {
      ...TEST_SCHEMA,
      fields: [odd('say "hi"'), odd('back\\slash'), odd('line\nbreak'), odd('2nd-field'), odd('x')],
    };
    const rendered = compileRenderer(schema, undefined)(row);
    expect(Object.keys(rendered)).toEqual([
      'say "hi"',
      'back\\slash',
      'line\nbreak',
      '2nd-field',
      'x',
    ]);
    expect(Object.values(rendered)).toEqual([
      'a/b.jpg',
      'a/b.jpg',
      'a/b.jpg',
      'a/b.jpg',
      'a/b.jpg',
    ]);
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
  });

  it('should refuse a schema field named __proto__ rather than set the prototype of every row', () => {
    const schema: ResourceSchema = {
      ...TEST_SCHEMA,
      fields: [{ ...TEST_SCHEMA.fields[1], name: '__proto__' }],
    };
    expect(() => compileRenderer(schema, undefined)).toThrow('A field cannot be named __proto__.');
  });

  it('should render only the asked fields, timestamps with six fraction digits, null dates as null', () => {
    const rendered = compileRenderer(TEST_SCHEMA, [
      'facet',
      'created_at',
      'updated_at',
      'deleted_at',
    ])(row);
    expect(rendered).toEqual({
      facet: 'Cover',
      created_at: '2024-01-15T12:00:00.500000Z',
      updated_at: '2024-01-15T12:00:00.123456Z',
      deleted_at: null,
    });
  });

  it('should render an unknown enum int and a null int as null, and a numeric string id as a number', () => {
    expect(compileRenderer(TEST_SCHEMA, ['image_id', 'facet'])({ ...row, facet: 9 })).toEqual({
      image_id: 9007199254740992,
      facet: null,
    });
    const anime = TEST_SCHEMA.includes[0].resource;
    expect(
      compileRenderer(anime, undefined)({ anime_id: 1, name: 'A', year: null, season: 3 }),
    ).toEqual({
      anime_id: 1,
      name: 'A',
      year: null,
      season: 'Fall',
    });
  });

  it('should add the pivot object after the fields of an included row', () => {
    const render = compileIncludedRenderer(TEST_SCHEMA.includes[1], ['name']);
    expect(render({ artist_id: 1, name: 'X', __pivot_depth: 2 })).toEqual({
      name: 'X',
      artistimage: { depth: 2 },
    });
  });

  it('should attach included arrays after the fields, [] for an owner with none', () => {
    const anime = TEST_SCHEMA.includes[0];
    const rendered = renderWithIncludes(
      [{ image_id: 1 }, { image_id: '2' }],
      (r) => ({ image_id: Number(r.image_id) }),
      'image_id',
      [
        {
          include: anime,
          byOwner: new Map([[2, [{ anime_id: 5, name: 'N', year: 2020, season: 0 }]]]),
        },
      ],
      { anime: ['name'] },
    );
    expect(rendered).toEqual([
      { image_id: 1, anime: [] },
      { image_id: 2, anime: [{ name: 'N' }] },
    ]);
  });
});
