import { ANIME_QUERY_SCHEMA } from '../anime/anime.query-schema';
import { ARTIST_QUERY_SCHEMA } from '../artist/artist.query-schema';
import { Permission } from '../auth/permissions';
import { PLAYLIST_QUERY_SCHEMA } from '../playlist/playlist.query-schema';
import { STUDIO_QUERY_SCHEMA } from '../studio/studio.query-schema';
import { definePivot, PivotDefinition } from './pivot-definition';

/** The four pivot resources of API.md section 9. */
export const ANIME_IMAGE = definePivot({
  parent: ANIME_QUERY_SCHEMA,
  keyColumn: 'slug',
  label: 'Anime',
  permissions: {
    attach: [Permission.CreateAnime, Permission.CreateImage],
    detach: [Permission.DeleteAnime, Permission.DeleteImage],
    update: [Permission.UpdateAnime, Permission.UpdateImage],
  },
});

export const ARTIST_IMAGE = definePivot({
  parent: ARTIST_QUERY_SCHEMA,
  keyColumn: 'slug',
  label: 'Artist',
  depth: true,
  permissions: {
    attach: [Permission.CreateArtist, Permission.CreateImage],
    detach: [Permission.DeleteArtist, Permission.DeleteImage],
    update: [Permission.UpdateArtist, Permission.UpdateImage],
  },
});

export const STUDIO_IMAGE = definePivot({
  parent: STUDIO_QUERY_SCHEMA,
  keyColumn: 'slug',
  label: 'Studio',
  permissions: {
    attach: [Permission.CreateStudio, Permission.CreateImage],
    detach: [Permission.DeleteStudio, Permission.DeleteImage],
    update: [Permission.UpdateStudio, Permission.UpdateImage],
  },
});

/** Links of playlists that are not Public are hidden: the playlist schema's fixed condition. */
export const PLAYLIST_IMAGE = definePivot({
  parent: PLAYLIST_QUERY_SCHEMA,
  keyColumn: 'hashid',
  label: 'Playlist',
  permissions: {
    attach: [Permission.CreatePlaylist, Permission.CreateImage],
    detach: [Permission.DeletePlaylist, Permission.DeleteImage],
    update: [Permission.UpdatePlaylist, Permission.UpdateImage],
  },
});

export const PIVOTS: readonly PivotDefinition[] = [
  ANIME_IMAGE,
  ARTIST_IMAGE,
  STUDIO_IMAGE,
  PLAYLIST_IMAGE,
];
