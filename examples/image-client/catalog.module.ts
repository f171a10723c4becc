import { DynamicModule, Module } from '@nestjs/common';
import { ImageClientModule, ImageClientOptions } from '../../src/client/image-client.module';
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
