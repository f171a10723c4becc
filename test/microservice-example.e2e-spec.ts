import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { CatalogModule } from '../examples/image-client/catalog.module';
import { CatalogService } from '../examples/image-client/catalog.service';
import { ImageEventsSubscriber } from '../examples/image-client/image-events.subscriber';
import { ImageProjection } from '../examples/image-client/image-projection';
import { Permission } from '../src/auth/permissions';
import type { ImageApiEvent } from '@image-api/client';
import { seedReadFixtures } from './helpers/fixtures';
import { deleteStream, TEST_NATS_URL, uniqueNatsNames } from './helpers/messaging';
import { describeEachDatabase } from './helpers/test-app';
import { tokenWith } from './helpers/tokens';

/**
 * The example under examples/image-client, run in-process against the service: another NestJS
 * service calling the Image API through `ImageClientModule` (TCP) and following its events
 * through a durable JetStream consumer into a projection.
 */
const { subjectPrefix, stream } = uniqueNatsNames();

describeEachDatabase(
  'the image-client example against the service',
  (context) => {
    let example: INestApplicationContext;

    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
      example = await NestFactory.createApplicationContext(
        CatalogModule.forRoot({ transport: 'tcp', port: context().listeners.tcp!.port }),
        { logger: false },
      );
    });

    afterAll(async () => {
      await example?.close();
    });

    it('should list the newest covers as GET /api/image does', async () => {
      const http = await context()
        .http()
        .get('/api/image?filter[facet]=Cover&include=anime&sort=-created_at&page[size]=3')
        .expect(200);
      expect(await example.get(CatalogService).latestCovers(3)).toEqual(
        (http.body as { images: unknown[] }).images,
      );
    });

    it('should treat a missing image as null and move an existing one', async () => {
      const catalog = example.get(CatalogService);
      const token = tokenWith(Permission.UpdateImage);
      expect(await catalog.movePath(token, 987654321, 'anime/moved.jpg')).toBeNull();
      expect(await catalog.movePath(token, 3, 'anime/moved.jpg')).toMatchObject({
        image_id: 3,
        path: 'anime/moved.jpg',
      });
    });

    it('should build the state of the images from their events, ignoring repeats', async () => {
      const projection = new ImageProjection();
      const heard: ImageApiEvent[] = [];
      let changed!: () => void;
      const settled = new Promise<void>((resolve) => (changed = resolve));
      await example.get(ImageEventsSubscriber).start(
        {
          nats: { servers: TEST_NATS_URL },
          // Without its final dot: the prefix joins the subjects with one (msvc.images.events.>).
          subjectPrefix: subjectPrefix.slice(0, -1),
          stream,
          durableName: `catalog_${context().database.kind}`,
        },
        (event) => {
          heard.push(event);
          projection.apply(event);
          if (projection.get(3)?.facet === 'Grill' && projection.get(4)?.deleted_at) changed();
        },
      );
      const token = tokenWith(Permission.UpdateImage, Permission.DeleteImage);
      await context()
        .http()
        .patch('/api/image/3')
        .set('Authorization', `Bearer ${token}`)
        .send({ facet: 'Grill' })
        .expect(200);
      await context()
        .http()
        .delete('/api/image/4')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      await settled;

      expect(projection.get(3)).toMatchObject({ path: 'anime/moved.jpg', facet: 'Grill' });
      expect(projection.get(4)).toMatchObject({ image_id: 4, deleted_at: expect.any(String) });
      // The same event again (a redelivery) changes nothing, nor does an older one.
      expect(projection.apply(heard[heard.length - 1])).toBe(false);
      expect(projection.apply({ ...heard[0], id: 'another-id', sequence: 0 })).toBe(false);
    });
  },
  {
    listeners: true,
    env: {
      MICROSERVICE_PORT: '0',
      MICROSERVICE_HOST: '127.0.0.1',
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: subjectPrefix,
      NATS_EVENTS_STREAM: stream,
    },
  },
);

afterAll(async () => {
  await deleteStream(stream);
  await deleteStream(`${stream}_DEAD_LETTER`);
});
