import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/app-config';
import { InjectAppConfig } from '../../config/config.module';

/**
 * Fills an empty embedded (SQLite) database with generated demo data at start-up, so that
 * `npm ci && npm start` serves something to explore. A MySQL database is never filled automatically.
 */
@Injectable()
export class DemoDataService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoDataService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoData || this.config.database.type !== 'sqlite') return;
    const [{ count }] = await this.dataSource.query<{ count: number }[]>(
      'SELECT COUNT(*) AS count FROM images',
    );
    if (Number(count) > 0) return;
    // The generator lands with the seeder; until then an empty database stays empty.
    this.logger.log('Embedded database is empty');
  }
}
