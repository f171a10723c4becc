import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { AppConfig } from './app-config';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injects the validated `AppConfig`. */
export const InjectAppConfig = (): ParameterDecorator => Inject(APP_CONFIG);

/**
 * Holds the configuration parsed once by `parseConfig` (in `main.ts`, or built by a test). It is
 * parsed before Nest starts so that a bad variable stops start-up with one line naming it.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
