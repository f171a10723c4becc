import { Column, Entity, ManyToMany } from 'typeorm';
import { DeletedAtColumn, IdColumn, TimestampColumn } from '../database/columns';
import type { Image } from '../image/image.entity';
import { PlaylistVisibility } from './playlist-visibility';

@Entity({ name: 'playlists' })
export class Playlist {
  @IdColumn('playlist_id')
  playlistId!: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  hashid!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** 0 Public, 1 Private, 2 Unlisted. Only Public playlists are ever shown. */
  @Column({ type: 'int' })
  visibility!: PlaylistVisibility;

  @TimestampColumn('created_at')
  createdAt!: string;

  @TimestampColumn('updated_at')
  updatedAt!: string;

  @DeletedAtColumn()
  deletedAt!: string | null;

  @ManyToMany('Image', (image: Image) => image.playlists)
  images?: Image[];
}
