import { DynamicModule, Module } from '@nestjs/common';
import type { ImageClientOptions } from '@image-api/client';
import { ImageClientModule } from '@image-api/client/nest';
import { CatalogService } from './catalog.service';
import { ImageEventsSubscriber } from './image-events.subscriber';

/** The example service: the Image API client, a service using it, and the events subscriber. */
@Module({})
export class CatalogModule {
  static forRoot(imageApi: ImageClientOptions): DynamicModule {
    return {
      module: CatalogModule,
      imports: [ImageClientModule.register(imageApi)],
      providers: [CatalogService, ImageEventsSubscriber],
      exports: [CatalogService, ImageEventsSubscriber],
    };
  }
}
