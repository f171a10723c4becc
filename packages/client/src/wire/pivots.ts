import type {
  Anime,
  Artist,
  Image,
  PageLinks,
  PageMeta,
  Playlist,
  Studio,
  Timestamp,
} from './resources';

/**
 * The pivot resources (API.md section 9): the links between images and anime, artists, studios
 * and playlists. Each is named in messages as in its path: the parent by its public key (`slug`,
 * `hashid` for playlists), the image by its id.
 */
export const PIVOTS = {
  animeimage: { parent: 'anime', key: 'slug' },
  artistimage: { parent: 'artist', key: 'slug' },
  studioimage: { parent: 'studio', key: 'slug' },
  playlistimage: { parent: 'playlist', key: 'hashid' },
} as const;

export type PivotName = keyof typeof PIVOTS;
export type PivotParentType = (typeof PIVOTS)[PivotName]['parent'];

/** The patterns of a pivot: `animeimage.list`, `.show`, `.attach`, `.detach`; `artistimage.update`. */
export type PivotMessagePattern =
  `${PivotName}.${'list' | 'show' | 'attach' | 'detach'}` | 'artistimage.update';

export function pivotMessagePattern(
  pivot: PivotName,
  operation: 'list' | 'show' | 'attach' | 'detach' | 'update',
): PivotMessagePattern {
  return `${pivot}.${operation}` as PivotMessagePattern;
}

interface LinkTimestamps {
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The links as rendered with default fields. */
export interface AnimeImage extends LinkTimestamps {
  anime_id: number;
  image_id: number;
}
export interface ArtistImage extends LinkTimestamps {
  artist_id: number;
  image_id: number;
  depth: number | null;
}
export interface StudioImage extends LinkTimestamps {
  studio_id: number;
  image_id: number;
}
export interface PlaylistImage extends LinkTimestamps {
  playlist_id: number;
  image_id: number;
}

/** pivot name → its link. */
export interface PivotLinks {
  animeimage: AnimeImage;
  artistimage: ArtistImage;
  studioimage: StudioImage;
  playlistimage: PlaylistImage;
}

/** `{"animeimage": {...}}`: the body of an attach and a depth change. */
export type PivotResponse<P extends PivotName> = { [K in P]: PivotLinks[P] };

/** The body of an attach: artistimage takes `depth` (≥ 1 or null), the others nothing. */
export interface PivotAttachBody {
  depth?: number | null;
}

/** `artistimage.update` */
export interface DepthBody {
  depth: number | null;
}

/** pivot name → its parent as included (`include=anime`): the default fields, no pivot object. */
export interface PivotParents {
  animeimage: Omit<Anime, 'anime'>;
  artistimage: Omit<Artist, 'artistimage'>;
  studioimage: Studio;
  playlistimage: Playlist;
}

/**
 * A link with its sides when included (`include=anime,image`): each one object, present only when
 * asked for; `fields[...]` narrows all three.
 */
export type PivotLinkWithSides<P extends PivotName> = PivotLinks[P] & {
  image?: Omit<Image, 'anime' | 'artists' | 'studios' | 'playlists'>;
} & { [K in (typeof PIVOTS)[P]['parent']]?: PivotParents[P] };

/** `GET /api/animeimage/:anime/:image`, `animeimage.show`: the link, with its sides when included. */
export type PivotShowResponse<P extends PivotName> = { [K in P]: PivotLinkWithSides<P> };

/** `GET /api/animeimage`, `animeimage.list`: `{"animeimages": [...], links, meta}`. */
export type PivotListResponse<P extends PivotName> = { [K in `${P}s`]: PivotLinkWithSides<P>[] } & {
  links: PageLinks;
  meta: PageMeta;
};
