import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ImageClient, ImageClientModule } from './index';

describe('ImageClientModule.register', () => {
  // Found by a probe: under `deep-hash` module ids (Nest 10's default), two registrations with
  // other options hashed alike (one factory source) and shared the first one's client.
  it.each(['reference', 'deep-hash'] as const)(
    'should give each registration its own client, with module ids by %s',
    async (moduleIdGeneratorAlgorithm) => {
      // Nothing connects until a call is made: no broker is needed.
      const options = { nats: { servers: 'nats://127.0.0.1:1' }, logger: false as const };
      // Each module hands out the client it was given, under a token of its own.
      const user = (token: string) => ({
        provide: token,
        inject: [ImageClient],
        useFactory: (client: ImageClient) => client,
      });
      class ProdModule {}
      Module({
        imports: [ImageClientModule.register({ ...options, subjectPrefix: 'prod' })],
        providers: [user('prod')],
        exports: ['prod'],
      })(ProdModule);
      class DefaultModule {}
      Module({
        imports: [ImageClientModule.register(options)],
        providers: [user('plain')],
        exports: ['plain'],
      })(DefaultModule);
      class AppModule {}
      Module({ imports: [ProdModule, DefaultModule] })(AppModule);

      const app = await NestFactory.createApplicationContext(AppModule, {
        logger: false,
        moduleIdGeneratorAlgorithm,
      });
      try {
        const prod = app.get<ImageClient>('prod');
        const plain = app.get<ImageClient>('plain');
        expect(prod).toBeInstanceOf(ImageClient);
        expect(plain).toBeInstanceOf(ImageClient);
        expect(prod).not.toBe(plain);
      } finally {
        await app.close();
      }
    },
  );
});
