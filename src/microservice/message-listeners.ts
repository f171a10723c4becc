import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { ServerTCP } from '@nestjs/microservices';
import { BODY_LIMIT_BYTES } from '../app.setup';
import type { AppConfig } from '../config/app-config';
import { ImageMessageDeserializer } from './image-message.deserializer';
import { PrefixedNatsServer } from './prefixed-nats.server';

/** The listeners started next to HTTP, with where they listen. */
export interface MessageListeners {
  /** The TCP listener's actual address (the port chosen when `MICROSERVICE_PORT=0`). */
  readonly tcp?: { readonly host: string; readonly port: number };
  readonly nats?: { readonly servers: readonly string[]; readonly subjectPrefix: string };
}

/**
 * Makes the application hybrid: connects the message listeners the configuration asks for (TCP
 * with `MICROSERVICE_PORT`, NATS with `NATS_URL`) and starts them. Called by `main.ts` before the
 * HTTP server listens, and by the tests' `createTestApp`. The listeners do not inherit the HTTP
 * pipes and filters: `ImageMessageController` validates its messages and has its own filter.
 */
export async function startMessageListeners(
  app: INestApplication,
  config: AppConfig,
): Promise<MessageListeners> {
  const { tcp, nats, subjectPrefix } = config.messaging;
  // Modules are initialised (and the event relay started) before the first message can arrive.
  await app.init();
  const tcpServer =
    tcp === undefined
      ? undefined
      : new ServerTCP({
          host: tcp.host,
          port: tcp.port,
          // Like HTTP's 1 MB body limit (in characters, with room for the envelope): a bigger
          // message closes the connection instead of filling the memory.
          maxBufferSize: 2 * BODY_LIMIT_BYTES,
        });
  if (tcpServer !== undefined) app.connectMicroservice({ strategy: tcpServer });
  if (nats !== undefined) {
    const natsServer = new PrefixedNatsServer(
      {
        servers: [...nats.servers],
        queue: nats.queue,
        name: 'image-api',
        // Start-up needs the broker; once connected, the listener rides out any outage.
        maxReconnectAttempts: -1,
        // On shutdown: stop taking requests, let those under way reply, then disconnect.
        gracefulShutdown: true,
        gracePeriod: 500,
        deserializer: new ImageMessageDeserializer(),
      },
      subjectPrefix,
    );
    app.connectMicroservice({ strategy: natsServer });
  }
  await app.startAllMicroservices();

  const address = tcpServer?.unwrap<{ address(): AddressInfo | string | null }>().address();
  return {
    ...(tcp === undefined
      ? {}
      : {
          tcp: {
            host: tcp.host,
            port: typeof address === 'object' && address !== null ? address.port : tcp.port,
          },
        }),
    ...(nats === undefined ? {} : { nats: { servers: nats.servers, subjectPrefix } }),
  };
}
