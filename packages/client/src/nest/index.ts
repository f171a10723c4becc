import { DynamicModule, FactoryProvider, Module, ModuleMetadata } from '@nestjs/common';
import { ImageClient, ImageClientOptions } from '../image-client';

export interface ImageClientAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...args: never[]) => ImageClientOptions | Promise<ImageClientOptions>;
  readonly inject?: FactoryProvider['inject'];
}

/**
 * Gives a NestJS application an injectable `ImageClient` (closed when the application shuts down):
 * `ImageClientModule.register({nats: {servers: 'nats://127.0.0.1:4222'}})`, or
 * `registerAsync({inject: [ConfigService], useFactory: (config) => ({...})})`.
 */
export class ImageClientModule {
  static register(options: ImageClientOptions): DynamicModule {
    return {
      module: ImageClientModule,
      providers: [{ provide: ImageClient, useFactory: () => new ImageClient(options) }],
      exports: [ImageClient],
    };
  }

  static registerAsync(options: ImageClientAsyncOptions): DynamicModule {
    return {
      module: ImageClientModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: ImageClient,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) =>
            new ImageClient(await options.useFactory(...args)),
        },
      ],
      exports: [ImageClient],
    };
  }
}

// The decorator as a call: the package compiles without decorator support.
Module({})(ImageClientModule);

export { ImageClient } from '../image-client';
export type { ImageClientOptions } from '../image-client';
