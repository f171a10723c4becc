import type { AddressInfo } from 'node:net';
import { imageEventsWildcardSubject, joinSubject } from '@image-api/client';
import type { INestApplication } from '@nestjs/common';
import { BODY_LIMIT_BYTES } from '../common/json-body';
import type { AppConfig } from '../config/app-config';
import { ImageMessageDeserializer } from './image-message.deserializer';
import { PrefixedNatsServer } from './prefixed-nats.server';
import { RequestOnlyTcpServer } from './request-only';

/** The listeners started next to HTTP, with where they listen. */
export interface MessageListeners {
  /** The TCP listener's actual address (the port chosen when `MICROSERVICE_PORT=0`). */
  readonly tcp?: { readonly host: string; readonly port: number };
  readonly nats?: {
    readonly servers: readonly string[];
    readonly subjectPrefix: string;
    /** The resources whose patterns it serves (`image`, `animeimage`...: `<resource>.<verb>`). */
    readonly resources: readonly string[];
  };
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
      : new RequestOnlyTcpServer({
          host: tcp.host,
          port: tcp.port,
          // Like HTTP's 1 MB body limit (in characters, with room for the envelope): a bigger
          // message closes the connection instead of filling the memory.
          maxBufferSize: 2 * BODY_LIMIT_BYTES,
        });
  if (tcpServer !== undefined) app.connectMicroservice({ strategy: tcpServer });
  let natsServer: PrefixedNatsServer | undefined;
  if (nats !== undefined) {
    natsServer = new PrefixedNatsServer(
      {
        servers: [...nats.servers],
        ...nats.auth,
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
    ...(natsServer === undefined || nats === undefined
      ? {}
      : {
          nats: {
            servers: nats.servers,
            subjectPrefix,
            resources: [
              ...new Set(
                [...natsServer.getHandlers().keys()].map((pattern) => pattern.split('.')[0]),
              ),
            ].sort(),
          },
        }),
  };
}

/** What the start-up log says is listening, with the subjects and stream in use. */
export interface StartupSummary {
  readonly http: { readonly host: string; readonly port: number };
  readonly tcp: { readonly host: string; readonly port: number } | null;
  readonly nats: {
    readonly servers: readonly string[];
    readonly queue: string;
    readonly requestSubjects: string;
    readonly eventSubjects: string;
    readonly stream: string;
  } | null;
}

/**
 * The start-up log line (`main.ts`): every transport with its address, the NATS subjects and the
 * JetStream stream; NATS URLs without their user and password.
 */
export function describeStartup(
  config: AppConfig,
  listeners: MessageListeners,
  http: { host: string; port: number },
): { summary: StartupSummary; line: string } {
  const { nats } = config.messaging;
  const summary: StartupSummary = {
    http,
    tcp: listeners.tcp ?? null,
    nats:
      nats === undefined
        ? null
        : {
            servers: nats.servers.map(withoutCredentials),
            queue: nats.queue,
            requestSubjects: (listeners.nats?.resources ?? ['image'])
              .map((resource) => joinSubject(config.messaging.subjectPrefix, `${resource}.*`))
              .join(', '),
            eventSubjects: imageEventsWildcardSubject(config.messaging.subjectPrefix),
            stream: config.messaging.eventsStream,
          },
  };
  const parts = [`HTTP on ${http.host}:${http.port}`];
  parts.push(
    summary.tcp === null
      ? 'no TCP listener (MICROSERVICE_PORT unset)'
      : `TCP messages on ${summary.tcp.host}:${summary.tcp.port}`,
  );
  parts.push(
    summary.nats === null
      ? 'no NATS (NATS_URL unset): events stay in the outbox'
      : `NATS messages on ${summary.nats.servers.join(',')} (queue ${summary.nats.queue}, subjects ${summary.nats.requestSubjects}); events on ${summary.nats.eventSubjects} into the JetStream stream ${summary.nats.stream}`,
  );
  return { summary, line: `Image API started: ${parts.join('; ')}` };
}

function withoutCredentials(server: string): string {
  const url = new URL(server);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}
