import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';
import { Artist } from './artist.entity';

/** The `artist_image` pivot as an entity of its own, because it carries `depth`. */
@Entity({ name: 'artist_image' })
export class ArtistImage {
  @PrimaryColumn({ name: 'artist_id', type: 'bigint', unsigned: true })
  artistId!: number;

  @PrimaryColumn({ name: 'image_id', type: 'bigint', unsigned: true })
  imageId!: number;

  /** Orders an artist's images. */
  @Column({ type: 'int', nullable: true })
  depth!: number | null;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @ManyToOne(() => Artist, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'artist_id' })
  artist?: Artist;

  @ManyToOne('Image', (image: Image) => image.artistImages, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: Image;
}
