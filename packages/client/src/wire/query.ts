import type { AnimeMediaFormatName, AnimeSeasonName, ImageFacetInputName } from './resources';

/**
 * The query language of `GET /api/image` (API.md section 4) as types: every include, field, filter
 * key (with its operators and logic), sort key and enum value is a literal, so a misspelt one does
 * not compile. The tables below are the source of the types and are checked against the server's
 * query schemas by the server's tests.
 */

/** Field types of the filters, which decide their operators and values. */
export type FilterValueType = 'int' | 'string' | 'enum' | 'date';

/** The types of the API and their fields, filters and sorts. */
export const QUERY_TYPES = {
  image: {
    fields: ['image_id', 'path', 'facet', 'link', 'created_at', 'updated_at', 'deleted_at'],
    filters: {
      image_id: 'int',
      path: 'string',
      facet: 'enum',
      created_at: 'date',
      updated_at: 'date',
      deleted_at: 'date',
    },
    sorts: ['image_id', 'path', 'facet', 'created_at', 'updated_at', 'deleted_at'],
  },
  anime: {
    fields: [
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
    filters: {
      anime_id: 'int',
      name: 'string',
      slug: 'string',
      year: 'int',
      season: 'enum',
      media_format: 'enum',
      created_at: 'date',
      updated_at: 'date',
      deleted_at: 'date',
    },
    sorts: ['anime_id', 'name', 'slug', 'year', 'season', 'created_at', 'updated_at', 'deleted_at'],
  },
  artist: {
    fields: ['artist_id', 'name', 'slug', 'information', 'created_at', 'updated_at', 'deleted_at'],
    filters: {
      artist_id: 'int',
      name: 'string',
      slug: 'string',
      created_at: 'date',
      updated_at: 'date',
      deleted_at: 'date',
    },
    sorts: ['artist_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
  },
  studio: {
    fields: ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
    filters: {
      studio_id: 'int',
      name: 'string',
      slug: 'string',
      created_at: 'date',
      updated_at: 'date',
      deleted_at: 'date',
    },
    sorts: ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
  },
  playlist: {
    fields: [
      'playlist_id',
      'hashid',
      'name',
      'visibility',
      'description',
      'created_at',
      'updated_at',
      'deleted_at',
    ],
    filters: {
      playlist_id: 'int',
      hashid: 'string',
      name: 'string',
      created_at: 'date',
      updated_at: 'date',
      deleted_at: 'date',
    },
    sorts: ['playlist_id', 'hashid', 'name', 'created_at', 'updated_at', 'deleted_at'],
  },
} as const satisfies Record<
  string,
  {
    fields: readonly string[];
    filters: Readonly<Record<string, FilterValueType>>;
    sorts: readonly string[];
  }
>;

export type QueryType = keyof typeof QUERY_TYPES;
/** The types an image can include, by include name. */
export const IMAGE_INCLUDES = {
  anime: 'anime',
  artists: 'artist',
  studios: 'studio',
  playlists: 'playlist',
} as const satisfies Record<string, QueryType>;

export type ImageInclude = keyof typeof IMAGE_INCLUDES;
export type RelatedType = (typeof IMAGE_INCLUDES)[ImageInclude];

/** The comparison operators of each filter type (`-not` means NOT IN / `<>` for every type). */
export const FILTER_OPERATORS = {
  int: ['eq', 'ne', 'lt', 'gt', 'lte', 'gte'],
  date: ['eq', 'ne', 'lt', 'gt', 'lte', 'gte'],
  string: ['eq', 'ne', 'like', 'notlike'],
  enum: ['eq', 'ne'],
} as const satisfies Record<FilterValueType, readonly string[]>;

export type FilterOperator = (typeof FILTER_OPERATORS)[FilterValueType][number];
export type FilterLogic = 'and' | 'or';
export type TrashedMode = 'with' | 'without' | 'only';

type Types = typeof QUERY_TYPES;
export type FieldOf<T extends QueryType> = Types[T]['fields'][number];
export type SortKeyOf<T extends QueryType> = Types[T]['sorts'][number];
type FiltersOf<T extends QueryType> = Types[T]['filters'];

/** The values of a filter of one field, by field name (enums by display name). */
interface EnumValues {
  facet: ImageFacetInputName;
  season: AnimeSeasonName | Lowercase<AnimeSeasonName>;
  media_format: AnimeMediaFormatName | Lowercase<AnimeMediaFormatName>;
}

/**
 * A filter value: an int as a number; a date as a `Date` or text in one of the API's formats
 * (`2024`, `2024-01`, `2024-01-15T12:00:00.5Z`...); a LIKE pattern or a string as written.
 */
export type FilterValueOf<Field extends string, Type extends FilterValueType> = Type extends 'int'
  ? number
  : Type extends 'date'
    ? Date | string
    : Type extends 'enum'
      ? Field extends keyof EnumValues
        ? EnumValues[Field]
        : never
      : string;

/** Keys that take a list (IN, or NOT IN with `-not`): no operator, `-eq` or `-not`. */
type ListKey<F extends string> =
  | F
  | `${F}-eq`
  | `${F}-not`
  | `${F}-${FilterLogic}`
  | `${F}-eq-${FilterLogic}`
  | `${F}-not-${FilterLogic}`;

/** Keys with a comparison operator: one value only. */
type ScalarKey<F extends string, Ops extends string> =
  `${F}-${Exclude<Ops, 'eq'>}` | `${F}-${Exclude<Ops, 'eq'>}-${FilterLogic}`;

type FieldFilter<F extends string, Type extends FilterValueType> = {
  [K in ListKey<F>]?: FilterValueOf<F, Type> | readonly FilterValueOf<F, Type>[];
} & {
  [K in ScalarKey<F, (typeof FILTER_OPERATORS)[Type][number]>]?: FilterValueOf<F, Type>;
};

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (
  arg: infer I,
) => void
  ? I
  : never;

/** Every filter key of the given fields (a `{field: type}` table), each with its value type. */
export type FiltersOfFields<Table extends Readonly<Record<string, FilterValueType>>> =
  UnionToIntersection<
    { [F in keyof Table & string]: FieldFilter<F, Table[F]> }[keyof Table & string]
  >;

/** `filter[<type>][...]`: that type's fields, and `trashed`. */
export type ScopedFilter<T extends QueryType> = FiltersOfFields<FiltersOf<T>> & {
  trashed?: TrashedMode;
};

type UnscopedFields<T extends QueryType> = UnionToIntersection<{ [K in T]: FiltersOf<K> }[T]>;

/** `filter[has]`: images with at least one of (`has-or`) or all of the relations. */
interface HasFilter {
  has?: ImageInclude | readonly ImageInclude[];
  'has-and'?: ImageInclude | readonly ImageInclude[];
  'has-or'?: ImageInclude | readonly ImageInclude[];
}

/**
 * The filters of a list: an unscoped key applies to the images and every included type that has
 * the field (`year`, `season`... only narrow the included arrays); `filter.image`, `filter.anime`...
 * apply to one type. Keys combine left to right in the object's order.
 */
export type ImageListFilter = FiltersOfFields<UnscopedFields<QueryType>> &
  HasFilter & {
    trashed?: TrashedMode;
  } & {
    [T in QueryType]?: ScopedFilter<T>;
  };

/** The filters of a show: they narrow the included arrays only. */
export type ImageShowFilter = FiltersOfFields<UnscopedFields<RelatedType>> & {
  trashed?: TrashedMode;
} & {
  [T in RelatedType]?: ScopedFilter<T>;
};

/** One sort key, `-` for descending. */
export type SortKey<T extends QueryType> = SortKeyOf<T> | `-${SortKeyOf<T>}`;
/** A list of sort keys (or one); `random` alone for images. */
export type SortList<T extends QueryType> = SortKey<T> | readonly SortKey<T>[];

/** `fields[<type>]`: the keys to render, one or a list. */
export type SparseFields = {
  [T in QueryType]?: FieldOf<T> | readonly FieldOf<T>[];
};

export interface PageQuery {
  /** 1–100, default 15. */
  size?: number;
  /** 1–2147483647, default 1; not with `cursor`. */
  number?: number;
  /** The opaque cursor of `links.next`/`links.prev` (see `pageQueryOfLink`). */
  cursor?: string;
}

/** The query of `GET /api/image` / `image.list`. */
export interface ImageListQuery {
  include?: ImageInclude | readonly ImageInclude[];
  fields?: SparseFields;
  filter?: ImageListFilter;
  /** `sort=-created_at,facet` (or `random`), or per type: `{image: ..., anime: ...}`. */
  sort?:
    | SortList<'image'>
    | 'random'
    | ({ image?: SortList<'image'> | 'random' } & { [T in RelatedType]?: SortList<T> });
  page?: PageQuery;
}

/** The query of `GET /api/image/:id` / `image.show`: no page, no image filters or image sort. */
export interface ImageShowQuery {
  include?: ImageInclude | readonly ImageInclude[];
  fields?: SparseFields;
  filter?: ImageShowFilter;
  sort?: { [T in RelatedType]?: SortList<T> };
}

/**
 * A query in the bracketed string form of a URL (`include=anime&page[size]=5`, percent-encoded,
 * `?` optional): not checked by the compiler, judged by the API alone.
 */
export type RawQuery = string;
