import { DynamicModule, FactoryProvider, Module, ModuleMetadata } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { DEFAULT_IMAGE_CLIENT_TIMEOUT_MS, ImageClient, ImageTransportClient } from './image-client';
import { PrefixedNatsClient } from './prefixed-nats.client';

/** Where the Image API listens. */
export type ImageClientOptions =
  | {
      readonly transport: 'tcp';
      readonly host?: string;
      readonly port: number;
      /** Milliseconds to wait for a reply (default 10 000). */
      readonly timeoutMs?: number;
    }
  | {
      readonly transport: 'nats';
      /** `nats://host:4222`, or several. */
      readonly servers: string | readonly string[];
      /** The service's `NATS_SUBJECT_PREFIX`, if it has one. */
      readonly subjectPrefix?: string;
      /** Milliseconds to wait for a reply (default 10 000). */
      readonly timeoutMs?: number;
      /** Connection name shown by the NATS server's monitoring. */
      readonly name?: string;
    };

export interface ImageClientAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...args: never[]) => ImageClientOptions | Promise<ImageClientOptions>;
  readonly inject?: FactoryProvider['inject'];
}

/** The transport client of the options; it connects on the first call. */
export function createImageClientProxy(options: ImageClientOptions): ImageTransportClient {
  if (options.transport === 'tcp') {
    return new ClientTCP({ host: options.host ?? '127.0.0.1', port: options.port });
  }
  const prefix = options.subjectPrefix ?? '';
  return new PrefixedNatsClient(
    {
      servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
      name: options.name ?? 'image-api-client',
    },
    prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`,
  );
}

/** An `ImageClient` for the options, outside any Nest module (scripts, tests). */
export function createImageClient(options: ImageClientOptions): ImageClient {
  return new ImageClient(
    createImageClientProxy(options),
    options.timeoutMs ?? DEFAULT_IMAGE_CLIENT_TIMEOUT_MS,
  );
}

/**
 * Gives another NestJS service an injectable `ImageClient`:
 * `ImageClientModule.register({transport: 'nats', servers: 'nats://127.0.0.1:4222'})`, or
 * `registerAsync({inject: [ConfigService], useFactory: (config) => ({...})})`.
 */
@Module({})
export class ImageClientModule {
  static register(options: ImageClientOptions): DynamicModule {
    return {
      module: ImageClientModule,
      providers: [{ provide: ImageClient, useFactory: () => createImageClient(options) }],
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
            createImageClient(await options.useFactory(...args)),
        },
      ],
      exports: [ImageClient],
    };
  }
}
