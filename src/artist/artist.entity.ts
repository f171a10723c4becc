import { Column, Entity, ManyToMany } from 'typeorm';
import { DeletedAtColumn, IdColumn, TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';

@Entity({ name: 'artists' })
export class Artist {
  @IdColumn('artist_id')
  artistId!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  slug!: string;

  @Column({ type: 'text', nullable: true })
  information!: string | null;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @DeletedAtColumn()
  deletedAt!: string | null;

  @ManyToMany('Image', (image: Image) => image.artists)
  images?: Image[];
}
