import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { STORAGE_DRIVER, type StorageDriver } from '../storage';
import { isDatabaseEmpty, seedDatabase } from './database-seeder';
import { DEMO_DATA_OPTIONS } from './demo-data.generator';
import { storeDemoFiles } from './demo-files';

/**
 * Fills an empty embedded (SQLite) database with generated demo data at start-up (about 5,600 rows
 * in well under a second), so that `npm ci && npm start` serves something to explore. A MySQL
 * database is never filled automatically; `npm run seed` fills any database on request.
 */
@Injectable()
export class DemoDataService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoDataService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectAppConfig() private readonly config: AppConfig,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoData || this.config.database.type !== 'sqlite') return;
    const runner = this.dataSource.createQueryRunner();
    const hasSchema = await runner.hasTable('images').finally(() => runner.release());
    if (!hasSchema) {
      this.logger.warn('No demo data: the database has no tables (DB_MIGRATE=false?)');
      return;
    }
    if (!(await isDatabaseEmpty(this.dataSource))) return;
    const result = await seedDatabase(this.dataSource, DEMO_DATA_OPTIONS);
    const { images, anime, artists, studios, playlists } = result.options;
    this.logger.log(
      `Filled the empty embedded database with demo data: ${images} images, ${anime} anime, ` +
        `${artists} artists, ${studios} studios, ${playlists} playlists ` +
        `(${result.totalRows} rows in ${Math.round(result.seconds * 1000)} ms)`,
    );
    // Real files for the first page of images (docs/storage.md#demo-files); the data is usable
    // without them, so a storage that can't take them only costs a warning.
    try {
      const files = await storeDemoFiles(this.dataSource, this.storage);
      this.logger.log(
        `Stored ${files} generated demo PNGs (${this.storage.name} storage); with IMAGE_BASE_URL=` +
          `http://localhost:${this.config.port}/storage/images their links open them`,
      );
    } catch (error) {
      this.logger.warn(`No demo files: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
