import { AnimeImage } from './anime/anime-image.entity';
import { Anime } from './anime/anime.entity';
import { ArtistImage } from './artist/artist-image.entity';
import { Artist } from './artist/artist.entity';
import { ImageEventOutboxRow } from './events/image-event-outbox.entity';
import { Image } from './image/image.entity';
import { PlaylistImage } from './playlist/playlist-image.entity';
import { Playlist } from './playlist/playlist.entity';
import { StudioImage } from './studio/studio-image.entity';
import { Studio } from './studio/studio.entity';

export const ENTITIES = [
  Image,
  Anime,
  AnimeImage,
  Artist,
  ArtistImage,
  Studio,
  StudioImage,
  Playlist,
  PlaylistImage,
  ImageEventOutboxRow,
];
