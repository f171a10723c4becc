import { Column, Entity, ManyToMany } from 'typeorm';
import { DeletedAtColumn, IdColumn, TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';

@Entity({ name: 'anime' })
export class Anime {
  @IdColumn('anime_id')
  animeId!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  slug!: string;

  @Column({ type: 'int', nullable: true })
  year!: number | null;

  /** 0 Winter, 1 Spring, 2 Summer, 3 Fall. */
  @Column({ type: 'int', nullable: true })
  season!: number | null;

  /** 0 Unknown, 1 TV, 2 TV Short, 3 OVA, 4 Movie, 5 Special, 6 ONA. */
  @Column({ name: 'media_format', type: 'int', nullable: true })
  mediaFormat!: number | null;

  @Column({ type: 'text', nullable: true })
  synopsis!: string | null;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @DeletedAtColumn()
  deletedAt!: string | null;

  @ManyToMany('Image', (image: Image) => image.anime)
  images?: Image[];
}
