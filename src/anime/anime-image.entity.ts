import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';
import { Anime } from './anime.entity';

/** The `anime_image` pivot as an entity of its own: the `animeimage` resource's table. */
@Entity({ name: 'anime_image' })
export class AnimeImage {
  @PrimaryColumn({ name: 'anime_id', type: 'bigint', unsigned: true })
  animeId!: number;

  @PrimaryColumn({ name: 'image_id', type: 'bigint', unsigned: true })
  imageId!: number;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @ManyToOne(() => Anime, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'anime_id' })
  anime?: Anime;

  @ManyToOne('Image', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: Image;
}
