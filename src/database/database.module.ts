import { DynamicModule, Global, Injectable, Module, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG, InjectAppConfig } from '../config/config.module';
import { MetricsService } from '../metrics';
import { applyDatabaseTimeouts, onDatabaseTimeout } from './database-timeouts';
import { buildDataSourceOptions } from './database-options';
import { pinUtcSessions } from './data-source';
import {
  assertNoPendingMigrations,
  assertNoUnknownMigrations,
  runMigrationsOnce,
} from './migration-lock';
import { ReadReplicas } from './read-replicas';
import { UnitOfWork } from './unit-of-work';

/**
 * Puts DB_STATEMENT_TIMEOUT_MS and DB_CONNECT_TIMEOUT_MS on the connections, after the migrations,
 * and counts each stop in `db_statement_timeouts_total`.
 */
@Injectable()
class DatabaseTimeoutsInstaller implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectAppConfig() private readonly config: AppConfig,
    @Optional() metrics?: MetricsService,
  ) {
    if (metrics !== undefined) {
      onDatabaseTimeout(dataSource, () => metrics.statementTimeouts.inc());
    }
  }

  onModuleInit(): Promise<void> {
    return applyDatabaseTimeouts(this.dataSource, this.config.databaseTimeouts);
  }
}

/**
 * The primary (TypeORM's data source) mapping `entities`, the read replicas and the unit of work,
 * for every module.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(entities: DataSourceOptions['entities']): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...buildDataSourceOptions(config.database, {
              entities,
              traceQueries: config.nodeEnv === 'development',
              connectTimeoutMs: config.databaseTimeouts.connectMs,
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
            else await assertNoPendingMigrations(dataSource);
            await assertNoUnknownMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [DatabaseTimeoutsInstaller, ReadReplicas, UnitOfWork],
      exports: [ReadReplicas, UnitOfWork],
    };
  }
}
