import { type ResourceSchema, resourcesOf } from '../query';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';

function names(resource: ResourceSchema, flag: 'filterable' | 'sortable'): string[] {
  return resource.fields.filter((field) => field[flag]).map((field) => field.name);
}

const byType = Object.fromEntries(resourcesOf(IMAGE_QUERY_SCHEMA).map((r) => [r.type, r]));

describe('IMAGE_QUERY_SCHEMA (API.md sections 2 to 4)', () => {
  it('should describe the images table, its list keys, page limits and random sort', () => {
    expect(IMAGE_QUERY_SCHEMA).toMatchObject({
      type: 'image',
      table: 'images',
      primaryKey: 'image_id',
      softDeletes: true,
      pluralKey: 'images',
      singularKey: 'image',
      page: { defaultSize: 15, maxSize: 100 },
      allowRandomSort: true,
    });
  });

  it.each<[string, string[], string[]]>([
    [
      'image',
      ['image_id', 'path', 'facet', 'link', 'created_at', 'updated_at'],
      ['image_id', 'path', 'facet', 'link', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'anime',
      ['anime_id', 'name', 'slug', 'year', 'season', 'media_format'],
      [
        'anime_id',
        'name',
        'slug',
        'year',
        'season',
        'media_format',
        'synopsis',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
    ],
    [
      'artist',
      ['artist_id', 'name', 'slug'],
      ['artist_id', 'name', 'slug', 'information', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'studio',
      ['studio_id', 'name', 'slug'],
      ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'playlist',
      ['playlist_id', 'hashid', 'name', 'visibility'],
      [
        'playlist_id',
        'hashid',
        'name',
        'visibility',
        'description',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
    ],
  ])(
    'should render %s with its default fields and allow the listed ones, in order',
    (type, defaults, all) => {
      const rendered = byType[type].fields.filter((field) => field.default);
      expect(rendered.map((field) => field.name)).toEqual(defaults);
      expect(byType[type].fields.map((field) => field.name)).toEqual(all);
    },
  );

  it.each<[string, string[], string[]]>([
    [
      'image',
      ['image_id', 'path', 'facet', 'created_at', 'updated_at', 'deleted_at'],
      ['image_id', 'path', 'facet', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'anime',
      [
        'anime_id',
        'name',
        'slug',
        'year',
        'season',
        'media_format',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
      ['anime_id', 'name', 'slug', 'year', 'season', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'artist',
      ['artist_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
      ['artist_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'studio',
      ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
      ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
    ],
    [
      'playlist',
      ['playlist_id', 'hashid', 'name', 'created_at', 'updated_at', 'deleted_at'],
      ['playlist_id', 'hashid', 'name', 'created_at', 'updated_at', 'deleted_at'],
    ],
  ])('should let %s filter and sort by the keys of the contract', (type, filters, sorts) => {
    expect(names(byType[type], 'filterable')).toEqual(filters);
    expect(names(byType[type], 'sortable')).toEqual(sorts);
  });

  it('should type the filters as the contract does', () => {
    const typeOf = (type: string, field: string) =>
      byType[type].fields.find((candidate) => candidate.name === field)?.type;
    expect([
      typeOf('image', 'image_id'),
      typeOf('image', 'path'),
      typeOf('image', 'facet'),
      typeOf('image', 'created_at'),
    ]).toEqual(['int', 'string', 'enum', 'date']);
    expect([
      typeOf('anime', 'year'),
      typeOf('anime', 'season'),
      typeOf('anime', 'media_format'),
      typeOf('playlist', 'hashid'),
    ]).toEqual(['int', 'enum', 'enum', 'string']);
  });

  it('should compute link from path, without a column of its own', () => {
    expect(IMAGE_QUERY_SCHEMA.fields.find((field) => field.name === 'link')).toEqual({
      name: 'link',
      type: 'string',
      default: true,
      filterable: false,
      sortable: false,
      requires: ['path'],
    });
  });

  it('should map the enums to the ints of the database', () => {
    const enumOf = (type: string, field: string) =>
      byType[type].fields.find((candidate) => candidate.name === field)?.enum;
    expect(enumOf('image', 'facet')).toEqual({
      names: { 0: 'Small Cover', 1: 'Cover', 2: 'Grill' },
      aliases: { 'small cover': 0, cover: 1, 'large cover': 1, grill: 2 },
    });
    expect(enumOf('anime', 'season')?.names).toEqual({
      0: 'Winter',
      1: 'Spring',
      2: 'Summer',
      3: 'Fall',
    });
    expect(enumOf('anime', 'media_format')?.names).toEqual({
      0: 'Unknown',
      1: 'TV',
      2: 'TV Short',
      3: 'OVA',
      4: 'Movie',
      5: 'Special',
      6: 'ONA',
    });
    expect(enumOf('playlist', 'visibility')?.names).toEqual({
      0: 'Public',
      1: 'Private',
      2: 'Unlisted',
    });
  });

  it('should include the four relations through the pivot tables of the contract', () => {
    expect(
      IMAGE_QUERY_SCHEMA.includes.map(
        ({ name, resource, pivotTable, pivotOwnerKey, pivotRelatedKey, pivotObject }) => ({
          name,
          type: resource.type,
          table: resource.table,
          pivotTable,
          pivotOwnerKey,
          pivotRelatedKey,
          pivotObject,
          fixedConditions: resource.fixedConditions,
        }),
      ),
    ).toEqual([
      {
        name: 'anime',
        type: 'anime',
        table: 'anime',
        pivotTable: 'anime_image',
        pivotOwnerKey: 'image_id',
        pivotRelatedKey: 'anime_id',
        pivotObject: undefined,
        fixedConditions: undefined,
      },
      {
        name: 'artists',
        type: 'artist',
        table: 'artists',
        pivotTable: 'artist_image',
        pivotOwnerKey: 'image_id',
        pivotRelatedKey: 'artist_id',
        pivotObject: { name: 'artistimage', columns: ['depth'] },
        fixedConditions: undefined,
      },
      {
        name: 'studios',
        type: 'studio',
        table: 'studios',
        pivotTable: 'studio_image',
        pivotOwnerKey: 'image_id',
        pivotRelatedKey: 'studio_id',
        pivotObject: undefined,
        fixedConditions: undefined,
      },
      {
        name: 'playlists',
        type: 'playlist',
        table: 'playlists',
        pivotTable: 'playlist_image',
        pivotOwnerKey: 'image_id',
        pivotRelatedKey: 'playlist_id',
        pivotObject: undefined,
        fixedConditions: { visibility: 0 },
      },
    ]);
  });

  it('should be plain data that survives JSON (it also feeds the OpenAPI document)', () => {
    expect(JSON.parse(JSON.stringify(IMAGE_QUERY_SCHEMA))).toEqual(IMAGE_QUERY_SCHEMA);
  });
});
