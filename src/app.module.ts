import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, RouterModule } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { buildLoggerOptions } from './common/logger.options';
import type { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ENTITIES } from './entities';
import { HealthModule } from './health/health.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { ImageAliasModule } from './image/image-alias.module';
import { ImageModule } from './image/image.module';
import { ImageEventsModule, OutboxRelayModule } from './events/image-events.module';
import { ImageMicroserviceModule } from './microservice/image-microservice.module';
import { MetricsModule } from './metrics';
import { PivotModule } from './pivot/pivot.module';
import { DemoDataService } from './seed/demo-data.service';
import { StorageModule } from './storage';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(buildLoggerOptions(config)),
        DatabaseModule.forRoot(ENTITIES),
        // GET /metrics, and the registry the other modules report into.
        MetricsModule,
        HealthModule,
        RateLimitModule.forRoot(config),
        ImageModule,
        // animeimage, artistimage, studioimage, playlistimage: links between images and the rest.
        PivotModule,
        // The resource routes live under API_PREFIX; health and docs stay outside it.
        RouterModule.register([
          { path: config.apiPrefix, module: ImageModule },
          { path: config.apiPrefix, module: PivotModule },
        ]),
        // The seed's unprefixed spellings of restore and force delete.
        ImageAliasModule,
        // The same operations as message patterns (TCP, NATS), when main.ts starts listeners.
        ImageMicroserviceModule,
        // Domain events: committed with each write in the outbox, published by the relay.
        ImageEventsModule,
        OutboxRelayModule,
        // Image files: the storage driver, and GET /storage/images/<path> with the local driver.
        StorageModule.forRoot(config.storage),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // Fills an empty embedded database with demo data at start-up.
        DemoDataService,
      ],
    };
  }
}
