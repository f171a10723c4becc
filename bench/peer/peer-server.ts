/**
 * The peer of the benchmark: the same list endpoint written the way NestJS teams commonly write it
 * today — NestJS on Express, TypeORM entities with Date columns and ManyToMany relations, and
 * `nestjs-paginate` for paging, filtering and sorting. It is not part of the service.
 *
 *   PEER_PORT=3102 BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/image_api_bench \
 *     node dist-bench/bench/peer/peer-server.js   (after npm run build:bench)
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { FilterOperator, Paginate, paginate, Paginated, PaginateQuery } from 'nestjs-paginate';
import {
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  JoinTable,
  ManyToMany,
  PrimaryGeneratedColumn,
  Repository,
  UpdateDateColumn,
} from 'typeorm';

@Entity({ name: 'anime' })
class AnimeEntity {
  @PrimaryGeneratedColumn({ name: 'anime_id', type: 'bigint', unsigned: true })
  anime_id!: number;
  @Column() name!: string;
  @Column() slug!: string;
  @Column({ type: 'int', nullable: true }) year!: number | null;
  @Column({ type: 'int', nullable: true }) season!: number | null;
  @Column({ type: 'int', nullable: true }) media_format!: number | null;
  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamp', precision: 6 })
  deleted_at!: Date | null;
}

@Entity({ name: 'artists' })
class ArtistEntity {
  @PrimaryGeneratedColumn({ name: 'artist_id', type: 'bigint', unsigned: true })
  artist_id!: number;
  @Column() name!: string;
  @Column() slug!: string;
  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamp', precision: 6 })
  deleted_at!: Date | null;
}

@Entity({ name: 'images' })
class ImageEntity {
  @PrimaryGeneratedColumn({ name: 'image_id', type: 'bigint', unsigned: true })
  image_id!: number;
  @Column() path!: string;
  @Column({ type: 'int' }) facet!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamp', precision: 6 })
  created_at!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamp', precision: 6 })
  updated_at!: Date;
  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamp', precision: 6 })
  deleted_at!: Date | null;

  @ManyToMany(() => AnimeEntity)
  @JoinTable({
    name: 'anime_image',
    joinColumn: { name: 'image_id', referencedColumnName: 'image_id' },
    inverseJoinColumn: { name: 'anime_id', referencedColumnName: 'anime_id' },
  })
  anime!: AnimeEntity[];

  @ManyToMany(() => ArtistEntity)
  @JoinTable({
    name: 'artist_image',
    joinColumn: { name: 'image_id', referencedColumnName: 'image_id' },
    inverseJoinColumn: { name: 'artist_id', referencedColumnName: 'artist_id' },
  })
  artists!: ArtistEntity[];
}

@Controller('api/image')
class PeerImageController {
  constructor(@InjectRepository(ImageEntity) private readonly images: Repository<ImageEntity>) {}

  /** `?page=2&limit=15&sortBy=created_at:DESC&filter.facet=$eq:1&relations=...` */
  @Get()
  list(@Paginate() query: PaginateQuery): Promise<Paginated<ImageEntity>> {
    return paginate(query, this.images, {
      sortableColumns: ['image_id', 'facet', 'path', 'created_at', 'updated_at'],
      defaultSortBy: [['image_id', 'ASC']],
      filterableColumns: { facet: [FilterOperator.EQ, FilterOperator.IN] },
      defaultLimit: 15,
      maxLimit: 100,
    });
  }

  /** The same list with `anime` and `artists` joined, as nestjs-paginate loads relations. */
  @Get('with-relations')
  listWithRelations(@Paginate() query: PaginateQuery): Promise<Paginated<ImageEntity>> {
    return paginate(query, this.images, {
      sortableColumns: ['image_id', 'facet', 'path', 'created_at', 'updated_at'],
      defaultSortBy: [['image_id', 'ASC']],
      filterableColumns: { facet: [FilterOperator.EQ, FilterOperator.IN] },
      relations: ['anime', 'artists'],
      defaultLimit: 15,
      maxLimit: 100,
    });
  }
}

function databaseOptions() {
  const url = new URL(
    process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/image_api_bench',
  );
  return {
    type: 'mysql' as const,
    host: url.hostname,
    port: Number(url.port || 3306),
    username: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    entities: [ImageEntity, AnimeEntity, ArtistEntity],
    synchronize: false,
    poolSize: 10,
  };
}

@Module({
  imports: [
    TypeOrmModule.forRoot(databaseOptions()),
    TypeOrmModule.forFeature([ImageEntity, AnimeEntity, ArtistEntity]),
  ],
  controllers: [PeerImageController],
})
class PeerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(PeerModule, { logger: ['error'] });
  await app.listen(Number(process.env.PEER_PORT ?? 3102), '127.0.0.1');
}

void main();
