/**
 * The resources as the Image API renders them (API.md section 3): the bodies of the HTTP routes,
 * the replies of the message patterns and the `image` of the events.
 */

/** The facet display names, as rendered (`facet` in JSON). */
export const IMAGE_FACET_NAMES = ['Small Cover', 'Cover', 'Grill'] as const;
export type ImageFacetName = (typeof IMAGE_FACET_NAMES)[number];

/** Names the API also accepts on input: AnimeThemes' `Large Cover` for `Cover`. */
export const IMAGE_FACET_ALIASES = ['Large Cover'] as const;

/**
 * A facet as a write body or a filter may give it: a display name (or `Large Cover`), as written
 * or lower-cased (the API matches names case-insensitively).
 */
export type ImageFacetInputName =
  | ImageFacetName
  | (typeof IMAGE_FACET_ALIASES)[number]
  | Lowercase<ImageFacetName | (typeof IMAGE_FACET_ALIASES)[number]>;

/** A facet in a write body: a name, or its int (0 Small Cover, 1 Cover, 2 Grill). */
export type ImageFacetInput = ImageFacetInputName | 0 | 1 | 2 | '0' | '1' | '2';

export const ANIME_SEASON_NAMES = ['Winter', 'Spring', 'Summer', 'Fall'] as const;
export type AnimeSeasonName = (typeof ANIME_SEASON_NAMES)[number];

export const ANIME_MEDIA_FORMAT_NAMES = [
  'Unknown',
  'TV',
  'TV Short',
  'OVA',
  'Movie',
  'Special',
  'ONA',
] as const;
export type AnimeMediaFormatName = (typeof ANIME_MEDIA_FORMAT_NAMES)[number];

export const PLAYLIST_VISIBILITY_NAMES = ['Public', 'Private', 'Unlisted'] as const;
export type PlaylistVisibilityName = (typeof PLAYLIST_VISIBILITY_NAMES)[number];

/** `2024-01-15T12:00:00.000000Z`: ISO 8601 in UTC with six fraction digits. */
export type Timestamp = string;

/**
 * Every key an included resource may render. Without `fields[<type>]` the default ones are
 * present (see each type); `fields[<type>]` renders exactly the listed ones.
 */
export interface Anime {
  anime_id: number;
  name: string;
  slug: string;
  year: number | null;
  season: AnimeSeasonName | null;
  media_format: AnimeMediaFormatName | null;
  synopsis?: string | null;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  deleted_at?: Timestamp | null;
}

export interface Artist {
  artist_id: number;
  name: string;
  slug: string;
  information?: string | null;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  deleted_at?: Timestamp | null;
  /** The pivot's column, rendered whenever artists are included. */
  artistimage: { depth: number | null };
}

export interface Studio {
  studio_id: number;
  name: string;
  slug: string;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  deleted_at?: Timestamp | null;
}

/** Only Public playlists are ever included. */
export interface Playlist {
  playlist_id: number;
  hashid: string;
  name: string;
  visibility: PlaylistVisibilityName;
  description?: string | null;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  deleted_at?: Timestamp | null;
}

/**
 * An image as the API renders it. Without `fields[image]` the keys are `image_id, path, facet,
 * link, created_at, updated_at`; `deleted_at` only when asked for; `fields[image]` renders exactly
 * the listed keys. Included relations are present only when asked for with `include`.
 */
export interface Image {
  image_id: number;
  path: string;
  facet: ImageFacetName;
  /** `IMAGE_BASE_URL` + `/` + `path`. */
  link: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at?: Timestamp | null;
  anime?: Anime[];
  artists?: Artist[];
  studios?: Studio[];
  playlists?: Playlist[];
}

/** `links` of a list: absolute URLs keeping the request's other parameters. */
export interface PageLinks {
  first: string;
  /** Always null: no COUNT is run. */
  last: null;
  prev: string | null;
  next: string | null;
}

export interface PageMeta {
  /** null on a page reached with a cursor (its number is not known). */
  current_page: number | null;
  /** 1-based position of the first item; null on an empty page and on a cursor page. */
  from: number | null;
  path: string;
  per_page: number;
  /** 1-based position of the last item; null on an empty page and on a cursor page. */
  to: number | null;
}

/** `GET /api/image`, `image.list` */
export interface ImageListResponse {
  images: Image[];
  links: PageLinks;
  meta: PageMeta;
}

/** `GET /api/image/:id` and the image writes. */
export interface ImageResponse {
  image: Image;
}

/** `DELETE /api/forceDelete/image/:id`: `{"message": "Image '<path>' was deleted."}` */
export interface MessageResponse {
  message: string;
}

/** The JSON body of create (`path` and `facet` required) and update (both optional). */
export interface ImageCreateBody {
  path: string;
  facet: ImageFacetInput;
}

export type ImageUpdateBody = Partial<ImageCreateBody>;
