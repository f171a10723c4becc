import { Anime } from '../anime/anime.entity';
import { ArtistImage } from '../artist/artist-image.entity';
import { Artist } from '../artist/artist.entity';
import { ImageEventOutboxRow } from '../events/image-event-outbox.entity';
import { Image } from '../image/image.entity';
import { Playlist } from '../playlist/playlist.entity';
import { Studio } from '../studio/studio.entity';

export const ENTITIES = [Image, Anime, Artist, ArtistImage, Studio, Playlist, ImageEventOutboxRow];
