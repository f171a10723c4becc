import type { DataSource } from 'typeorm';

/**
 * A small deterministic data set for the read API, inserted through plain SQL (no entities, no
 * service code): every facet, season and media format, soft-deleted rows of every type, the three
 * playlist visibilities, artist depths (and a null one). Ids are fixed so tests name rows directly.
 *
 * Image `created_at` values close in on one instant (2024-03-05 07:08:09.123456) one date part at a
 * time, so that each accepted date format (`Y` ... `Y-m-dTH:i:s.u`) selects a different set.
 */

export type Row = Record<string, string | number | null>;

export interface ImageFixture extends Row {
  image_id: number;
  path: string;
  facet: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

const image = (
  image_id: number,
  path: string,
  facet: number,
  created_at: string,
  deleted_at: string | null = null,
): ImageFixture => ({
  image_id,
  path,
  facet,
  created_at,
  // updated_at runs the other way round from the ids, so sorting by it is not sorting by id.
  updated_at: `2024-09-${String(30 - image_id).padStart(2, '0')} 08:00:00.250000`,
  deleted_at,
});

export const IMAGES: readonly ImageFixture[] = [
  image(1, 'anime/cover/bebop.jpg', 1, '2023-12-31 23:59:59.999999'),
  image(2, 'anime/small-cover/bebop.avif', 0, '2024-02-29 12:00:00.000000'),
  image(3, 'anime/cover/eva.png', 1, '2024-03-04 23:00:00.000000'),
  image(4, 'anime/small-cover/eva.avif', 0, '2024-03-05 06:59:59.000000'),
  image(5, 'grill/alpha.png', 2, '2024-03-05 07:07:59.999999'),
  image(6, 'artist/cover/kanno.jpg', 1, '2024-03-05 07:08:08.500000'),
  image(7, 'grill/beta.png', 2, '2024-03-05 07:08:09.123455'),
  image(8, 'studio/cover/sunrise.jpg', 1, '2024-03-05 07:08:09.123456'),
  image(9, 'playlist/cover/mix.jpg', 1, '2024-06-01 00:00:00.000000'),
  image(10, 'anime/cover/trigun.jpg', 1, '2024-07-01 10:00:00.000000'),
  image(
    11,
    'anime/small-cover/gone.avif',
    0,
    '2024-01-10 00:00:00.000000',
    '2024-08-01 00:00:00.000000',
  ),
  image(12, 'grill/gone.png', 2, '2024-01-20 00:00:00.000000', '2024-08-02 00:00:00.000000'),
];

const stamps = (day: number, deleted_at: string | null = null) => ({
  created_at: `2024-01-${String(day).padStart(2, '0')} 00:00:00.000000`,
  updated_at: `2024-02-${String(day).padStart(2, '0')} 00:00:00.000000`,
  deleted_at,
});

/** Every season (0–3) and media format (0–6) appears, and null ones; anime 8 is soft-deleted. */
export const ANIME: readonly Row[] = [
  {
    anime_id: 1,
    name: 'Cowboy Bebop',
    slug: 'cowboy_bebop',
    year: 1998,
    season: 1,
    media_format: 1,
    synopsis: 'Space bounty hunters.',
    ...stamps(1),
  },
  {
    anime_id: 2,
    name: 'Neon Genesis Evangelion',
    slug: 'neon_genesis_evangelion',
    year: 1995,
    season: 3,
    media_format: 0,
    synopsis: null,
    ...stamps(2),
  },
  {
    anime_id: 3,
    name: 'Trigun',
    slug: 'trigun',
    year: 1998,
    season: 1,
    media_format: 2,
    synopsis: null,
    ...stamps(3),
  },
  {
    anime_id: 4,
    name: 'FLCL',
    slug: 'flcl',
    year: 2000,
    season: 0,
    media_format: 3,
    synopsis: null,
    ...stamps(4),
  },
  {
    anime_id: 5,
    name: 'Akira',
    slug: 'akira',
    year: 1988,
    season: 2,
    media_format: 4,
    synopsis: null,
    ...stamps(5),
  },
  {
    anime_id: 6,
    name: 'Cowboy Bebop Special',
    slug: 'cowboy_bebop_special',
    year: 2020,
    season: 3,
    media_format: 5,
    synopsis: null,
    ...stamps(6),
  },
  {
    anime_id: 7,
    name: 'Untitled Short',
    slug: 'untitled_short',
    year: null,
    season: null,
    media_format: null,
    synopsis: null,
    ...stamps(7),
  },
  {
    anime_id: 8,
    name: 'Gone Anime',
    slug: 'gone_anime',
    year: 2020,
    season: 2,
    media_format: 6,
    synopsis: null,
    ...stamps(8, '2024-05-01 00:00:00.000000'),
  },
];

export const ARTISTS: readonly Row[] = [
  { artist_id: 1, name: 'Yoko Kanno', slug: 'yoko_kanno', information: 'Composer.', ...stamps(11) },
  { artist_id: 2, name: 'Seatbelts', slug: 'seatbelts', information: null, ...stamps(12) },
  {
    artist_id: 3,
    name: 'Gone Artist',
    slug: 'gone_artist',
    information: null,
    ...stamps(13, '2024-05-02 00:00:00.000000'),
  },
];

export const STUDIOS: readonly Row[] = [
  { studio_id: 1, name: 'Sunrise', slug: 'sunrise', ...stamps(21) },
  { studio_id: 2, name: 'Gainax', slug: 'gainax', ...stamps(22) },
  {
    studio_id: 3,
    name: 'Gone Studio',
    slug: 'gone_studio',
    ...stamps(23, '2024-05-03 00:00:00.000000'),
  },
];

/** Visibility 0 Public, 1 Private, 2 Unlisted; playlist 4 is Public but soft-deleted. */
export const PLAYLISTS: readonly Row[] = [
  {
    playlist_id: 1,
    hashid: 'pub1',
    name: 'Public Mix',
    description: 'Best covers.',
    visibility: 0,
    ...stamps(25),
  },
  {
    playlist_id: 2,
    hashid: 'priv1',
    name: 'Private Mix',
    description: null,
    visibility: 1,
    ...stamps(26),
  },
  {
    playlist_id: 3,
    hashid: 'unl1',
    name: 'Unlisted Mix',
    description: null,
    visibility: 2,
    ...stamps(27),
  },
  {
    playlist_id: 4,
    hashid: 'pubdel',
    name: 'Gone Mix',
    description: null,
    visibility: 0,
    ...stamps(28, '2024-05-04 00:00:00.000000'),
  },
];

const PIVOT_STAMPS = {
  created_at: '2024-03-01 00:00:00.000000',
  updated_at: '2024-03-01 00:00:00.000000',
};

/** [anime_id, image_id] */
export const ANIME_IMAGE: readonly [number, number][] = [
  [1, 1],
  [6, 1],
  [1, 2],
  [2, 3],
  [2, 4],
  [3, 10],
  [4, 10],
  [5, 10],
  [8, 5],
  [7, 9],
  [5, 11],
];
/** [artist_id, image_id, depth] */
export const ARTIST_IMAGE: readonly [number, number, number | null][] = [
  [1, 6, 2],
  [2, 6, 1],
  [3, 6, 3],
  [2, 1, null],
];
/** [studio_id, image_id] */
export const STUDIO_IMAGE: readonly [number, number][] = [
  [1, 8],
  [2, 8],
  [3, 8],
  [1, 1],
  [2, 3],
];
/** [playlist_id, image_id] */
export const PLAYLIST_IMAGE: readonly [number, number][] = [
  [1, 9],
  [2, 9],
  [3, 9],
  [4, 9],
  [2, 2],
  [3, 3],
  [1, 1],
];

/** Inserts rows into a table with bound values (both drivers take `?` placeholders). */
export async function insertRows(
  dataSource: DataSource,
  table: string,
  rows: readonly Row[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  await dataSource.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => placeholders).join(', ')}`,
    rows.flatMap((row) => columns.map((column) => row[column])),
  );
}

/** Inserts the whole read data set (into an empty, migrated database). */
export async function seedReadFixtures(dataSource: DataSource): Promise<void> {
  await insertRows(dataSource, 'images', IMAGES);
  await insertRows(dataSource, 'anime', ANIME);
  await insertRows(dataSource, 'artists', ARTISTS);
  await insertRows(dataSource, 'studios', STUDIOS);
  await insertRows(dataSource, 'playlists', PLAYLISTS);
  await insertRows(
    dataSource,
    'anime_image',
    ANIME_IMAGE.map(([anime_id, image_id]) => ({ anime_id, image_id, ...PIVOT_STAMPS })),
  );
  await insertRows(
    dataSource,
    'artist_image',
    ARTIST_IMAGE.map(([artist_id, image_id, depth]) => ({
      artist_id,
      image_id,
      depth,
      ...PIVOT_STAMPS,
    })),
  );
  await insertRows(
    dataSource,
    'studio_image',
    STUDIO_IMAGE.map(([studio_id, image_id]) => ({ studio_id, image_id, ...PIVOT_STAMPS })),
  );
  await insertRows(
    dataSource,
    'playlist_image',
    PLAYLIST_IMAGE.map(([playlist_id, image_id]) => ({ playlist_id, image_id, ...PIVOT_STAMPS })),
  );
}

/* Expected JSON, written from the contract's tables (not from the service's code). */

export const IMAGE_BASE_URL = 'https://animethemes.moe/storage/images';
const FACETS = ['Small Cover', 'Cover', 'Grill'];
const SEASONS = ['Winter', 'Spring', 'Summer', 'Fall'];
const MEDIA_FORMATS = ['Unknown', 'TV', 'TV Short', 'OVA', 'Movie', 'Special', 'ONA'];
const VISIBILITIES = ['Public', 'Private', 'Unlisted'];

/** `2024-01-15 12:00:00.000000` → `2024-01-15T12:00:00.000000Z` (fixtures always carry 6 digits). */
export function iso(value: string | number | null): string | null {
  return value === null ? null : `${String(value).replace(' ', 'T')}Z`;
}

function pick(full: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, full[field]]));
}

function find(rows: readonly Row[], key: string, id: number): Row {
  const row = rows.find((candidate) => candidate[key] === id);
  if (row === undefined) throw new Error(`no fixture ${key} ${id}`);
  return row;
}

const enumName = (names: string[], value: string | number | null) =>
  value === null ? null : names[Number(value)];

export const IMAGE_DEFAULT_FIELDS = [
  'image_id',
  'path',
  'facet',
  'link',
  'created_at',
  'updated_at',
];
export const IMAGE_ALL_FIELDS = [...IMAGE_DEFAULT_FIELDS, 'deleted_at'];

/** The JSON of an image with the given fields (in contract order), default fields otherwise. */
export function imageJson(
  id: number,
  fields: readonly string[] = IMAGE_DEFAULT_FIELDS,
): Record<string, unknown> {
  const row = find(IMAGES, 'image_id', id);
  return pick(
    {
      image_id: row.image_id,
      path: row.path,
      facet: enumName(FACETS, row.facet),
      link: `${IMAGE_BASE_URL}/${String(row.path)}`,
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
      deleted_at: iso(row.deleted_at),
    },
    IMAGE_ALL_FIELDS.filter((field) => fields.includes(field)),
  );
}

const timestampsJson = (row: Row) => ({
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
  deleted_at: iso(row.deleted_at),
});

export const ANIME_ALL_FIELDS = [
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
];
export function animeJson(
  id: number,
  fields: readonly string[] = ANIME_ALL_FIELDS.slice(0, 6),
): Record<string, unknown> {
  const row = find(ANIME, 'anime_id', id);
  return pick(
    {
      ...row,
      season: enumName(SEASONS, row.season),
      media_format: enumName(MEDIA_FORMATS, row.media_format),
      ...timestampsJson(row),
    },
    ANIME_ALL_FIELDS.filter((field) => fields.includes(field)),
  );
}

export const ARTIST_ALL_FIELDS = [
  'artist_id',
  'name',
  'slug',
  'information',
  'created_at',
  'updated_at',
  'deleted_at',
];
/** An included artist, with `artistimage.depth` of its pivot row to `imageId`. */
export function artistJson(
  id: number,
  imageId: number,
  fields: readonly string[] = ARTIST_ALL_FIELDS.slice(0, 3),
): Record<string, unknown> {
  const row = find(ARTISTS, 'artist_id', id);
  const pivot = ARTIST_IMAGE.find(([artist, image]) => artist === id && image === imageId);
  if (pivot === undefined) throw new Error(`artist ${id} is not on image ${imageId}`);
  return {
    ...pick(
      { ...row, ...timestampsJson(row) },
      ARTIST_ALL_FIELDS.filter((field) => fields.includes(field)),
    ),
    artistimage: { depth: pivot[2] },
  };
}

export const STUDIO_ALL_FIELDS = [
  'studio_id',
  'name',
  'slug',
  'created_at',
  'updated_at',
  'deleted_at',
];
export function studioJson(
  id: number,
  fields: readonly string[] = STUDIO_ALL_FIELDS.slice(0, 3),
): Record<string, unknown> {
  const row = find(STUDIOS, 'studio_id', id);
  return pick(
    { ...row, ...timestampsJson(row) },
    STUDIO_ALL_FIELDS.filter((field) => fields.includes(field)),
  );
}

export const PLAYLIST_ALL_FIELDS = [
  'playlist_id',
  'hashid',
  'name',
  'visibility',
  'description',
  'created_at',
  'updated_at',
  'deleted_at',
];
export function playlistJson(
  id: number,
  fields: readonly string[] = PLAYLIST_ALL_FIELDS.slice(0, 4),
): Record<string, unknown> {
  const row = find(PLAYLISTS, 'playlist_id', id);
  return pick(
    { ...row, visibility: enumName(VISIBILITIES, row.visibility), ...timestampsJson(row) },
    PLAYLIST_ALL_FIELDS.filter((field) => fields.includes(field)),
  );
}

/** The ids of the live (not soft-deleted) fixture images, ascending. */
export const LIVE_IMAGE_IDS = IMAGES.filter((row) => row.deleted_at === null).map(
  (row) => row.image_id,
);

/** The `PUBLIC_URL` the read tests run with, so that links are known in advance. */
export const PUBLIC_URL = 'http://images.test';
export const LIST_URL = `${PUBLIC_URL}/api/image`;

/**
 * The whole body of a list answered on one page (page 1, no next page) for a request whose query
 * string was `query` (as sent, without `page[number]`).
 */
export function onePage(
  query: string,
  images: Record<string, unknown>[],
  perPage = 15,
): Record<string, unknown> {
  const prefix = query === '' ? `${LIST_URL}?` : `${LIST_URL}?${query}&`;
  return {
    images,
    links: { first: `${prefix}page[number]=1`, last: null, prev: null, next: null },
    meta: {
      current_page: 1,
      from: images.length === 0 ? null : 1,
      path: LIST_URL,
      per_page: perPage,
      to: images.length === 0 ? null : images.length,
    },
  };
}
