import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { buildDataSourceOptions } from './database-options';
import { pinUtcSessions } from './data-source';
import { runMigrationsOnce } from './migration-lock';
import { ReadReplicas } from './read-replicas';
import { DemoDataService } from './seed/demo-data.service';

/** The primary (TypeORM's data source) and the read replicas, for every module. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.database, {
          traceQueries: config.nodeEnv === 'development',
        }),
        migrationsRun: config.migrate,
        // Fail fast: a database that is not there at start is a configuration problem.
        retryAttempts: 0,
        manualInitialization: false,
      }),
      dataSourceFactory: async (options) => {
        // Migrations run after initialising, under a lock that instances starting together share.
        const dataSource = new DataSource({ ...options!, migrationsRun: false });
        await dataSource.initialize();
        await pinUtcSessions(dataSource);
        if (options!.migrationsRun === true) await runMigrationsOnce(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [DemoDataService, ReadReplicas],
  exports: [ReadReplicas],
})
export class DatabaseModule {}
