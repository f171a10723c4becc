import { Column, Entity, ManyToMany } from 'typeorm';
import { DeletedAtColumn, IdColumn, TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';

@Entity({ name: 'studios' })
export class Studio {
  @IdColumn('studio_id')
  studioId!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  slug!: string;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @DeletedAtColumn()
  deletedAt!: string | null;

  @ManyToMany('Image', (image: Image) => image.studios)
  images?: Image[];
}
