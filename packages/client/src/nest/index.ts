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
/** The options of `register` (a provider of the module's own). */
const IMAGE_CLIENT_OPTIONS = Symbol('ImageClientOptions');

export class ImageClientModule {
  static register(options: ImageClientOptions): DynamicModule {
    return {
      module: ImageClientModule,
      // The options as a value: Nest's `deep-hash` module ids (the default of Nest 10) hash a
      // factory by its source, and two registrations with other options became one module, one
      // client (found by a probe).
      providers: [
        { provide: IMAGE_CLIENT_OPTIONS, useValue: options },
        {
          provide: ImageClient,
          inject: [IMAGE_CLIENT_OPTIONS],
          useFactory: (given: ImageClientOptions) => new ImageClient(given),
        },
      ],
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
