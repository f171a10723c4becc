import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';
import { Playlist } from './playlist.entity';

/** The `playlist_image` pivot as an entity of its own: the `playlistimage` resource's table. */
@Entity({ name: 'playlist_image' })
export class PlaylistImage {
  @PrimaryColumn({ name: 'playlist_id', type: 'bigint', unsigned: true })
  playlistId!: number;

  @PrimaryColumn({ name: 'image_id', type: 'bigint', unsigned: true })
  imageId!: number;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @ManyToOne(() => Playlist, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'playlist_id' })
  playlist?: Playlist;

  @ManyToOne('Image', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: Image;
}
