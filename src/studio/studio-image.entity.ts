import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';
import { Studio } from './studio.entity';

/** The `studio_image` pivot as an entity of its own: the `studioimage` resource's table. */
@Entity({ name: 'studio_image' })
export class StudioImage {
  @PrimaryColumn({ name: 'studio_id', type: 'bigint', unsigned: true })
  studioId!: number;

  @PrimaryColumn({ name: 'image_id', type: 'bigint', unsigned: true })
  imageId!: number;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @ManyToOne(() => Studio, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'studio_id' })
  studio?: Studio;

  @ManyToOne('Image', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: Image;
}
