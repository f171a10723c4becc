import { Column, Entity, JoinTable, ManyToMany, OneToMany } from 'typeorm';
import { Anime } from '../anime/anime.entity';
import { ArtistImage } from '../artist/artist-image.entity';
import { Artist } from '../artist/artist.entity';
import { DeletedAtColumn, IdColumn, TimestampColumn } from '../database/columns';
import { Playlist } from '../playlist/playlist.entity';
import { Studio } from '../studio/studio.entity';
import { ImageFacet } from './image-facet';

@Entity({ name: 'images' })
export class Image {
  @IdColumn('image_id')
  imageId!: number;

  @Column({ type: 'varchar', length: 255 })
  path!: string;

  @Column({ type: 'int' })
  facet!: ImageFacet;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @DeletedAtColumn()
  deletedAt!: string | null;

  @ManyToMany(() => Anime, (anime) => anime.images)
  @JoinTable({
    name: 'anime_image',
    joinColumn: { name: 'image_id', referencedColumnName: 'imageId' },
    inverseJoinColumn: { name: 'anime_id', referencedColumnName: 'animeId' },
  })
  anime?: Anime[];

  @ManyToMany(() => Artist, (artist) => artist.images)
  @JoinTable({
    name: 'artist_image',
    joinColumn: { name: 'image_id', referencedColumnName: 'imageId' },
    inverseJoinColumn: { name: 'artist_id', referencedColumnName: 'artistId' },
  })
  artists?: Artist[];

  /** The same `artist_image` rows, with the pivot's `depth`. */
  @OneToMany(() => ArtistImage, (artistImage) => artistImage.image)
  artistImages?: ArtistImage[];

  @ManyToMany(() => Studio, (studio) => studio.images)
  @JoinTable({
    name: 'studio_image',
    joinColumn: { name: 'image_id', referencedColumnName: 'imageId' },
    inverseJoinColumn: { name: 'studio_id', referencedColumnName: 'studioId' },
  })
  studios?: Studio[];

  @ManyToMany(() => Playlist, (playlist) => playlist.images)
  @JoinTable({
    name: 'playlist_image',
    joinColumn: { name: 'image_id', referencedColumnName: 'imageId' },
    inverseJoinColumn: { name: 'playlist_id', referencedColumnName: 'playlistId' },
  })
  playlists?: Playlist[];
}
