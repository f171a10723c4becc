import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { ImageClientOptions } from '@image-api/client';
import { CatalogModule } from './catalog.module';
import { CatalogService } from './catalog.service';
import { ImageEventsSubscriber } from './image-events.subscriber';
import { ImageProjection } from './image-projection';

/**
 * Lists the newest covers through the Image API, then follows its events for a while.
 * See README.md for the variables.
 */
async function main(): Promise<void> {
  const env = process.env;
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const imageApi: ImageClientOptions =
    env.IMAGE_API_TCP_PORT !== undefined
      ? {
          transport: 'tcp',
          host: env.IMAGE_API_TCP_HOST ?? '127.0.0.1',
          port: Number(env.IMAGE_API_TCP_PORT),
        }
      : { nats: { servers: natsUrl }, subjectPrefix: env.NATS_SUBJECT_PREFIX };

  const app = await NestFactory.createApplicationContext(CatalogModule.forRoot(imageApi), {
    logger: ['error', 'warn'],
  });
  try {
    const covers = await app.get(CatalogService).latestCovers(5);
    for (const cover of covers) console.log(`#${cover.image_id} ${cover.link}`);

    const followSeconds = Number(env.FOLLOW_SECONDS ?? '10');
    if (followSeconds > 0) {
      const projection = new ImageProjection();
      const subscriber = app.get(ImageEventsSubscriber);
      await subscriber.start(
        {
          nats: { servers: natsUrl },
          subjectPrefix: env.NATS_SUBJECT_PREFIX,
          stream: env.NATS_EVENTS_STREAM,
          durableName: env.DURABLE_NAME ?? 'catalog-example',
          // A new durable starts with the events already in the stream.
          startAt: 'all',
        },
        (event) => {
          if (projection.apply(event)) {
            console.log(`${event.occurred_at} ${event.type} #${event.image_id} by ${event.actor}`);
          }
        },
      );
      console.log(`Following image events for ${followSeconds} s...`);
      await new Promise((resolve) => setTimeout(resolve, followSeconds * 1000));
      console.log(`${projection.size} images known from the events.`);
    }
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
