import { parseConfig } from '../config/app-config';
import { describeStartup } from './message-listeners';

const HTTP = { host: '0.0.0.0', port: 3000 };

describe('describeStartup', () => {
  it('should name every transport with its address, the subjects and the stream', () => {
    const config = parseConfig(
      {
        MICROSERVICE_PORT: '0',
        NATS_URL: 'nats://app:secret@nats-1:4222,nats://nats-2:4222',
        NATS_SUBJECT_PREFIX: 'staging',
        NATS_EVENTS_STREAM: 'STAGING_IMAGE_EVENTS',
      },
      '/srv',
    );
    const listeners = {
      tcp: { host: '127.0.0.1', port: 41234 },
      nats: {
        servers: config.messaging.nats!.servers,
        subjectPrefix: 'staging.',
        resources: ['animeimage', 'image'],
      },
    };
    expect(describeStartup(config, listeners, HTTP)).toEqual({
      summary: {
        http: HTTP,
        tcp: { host: '127.0.0.1', port: 41234 },
        nats: {
          servers: ['nats://nats-1:4222', 'nats://nats-2:4222'],
          queue: 'image-api',
          requestSubjects: 'staging.animeimage.*, staging.image.*',
          eventSubjects: 'staging.images.events.>',
          stream: 'STAGING_IMAGE_EVENTS',
        },
      },
      line:
        'Image API started: HTTP on 0.0.0.0:3000; TCP messages on 127.0.0.1:41234; ' +
        'NATS messages on nats://nats-1:4222,nats://nats-2:4222 (queue image-api, subjects ' +
        'staging.animeimage.*, staging.image.*); events on staging.images.events.> into the ' +
        'JetStream stream ' +
        'STAGING_IMAGE_EVENTS',
    });
  });

  it('should say what is off when no message transport is configured', () => {
    expect(describeStartup(parseConfig({}, '/srv'), {}, HTTP)).toEqual({
      summary: { http: HTTP, tcp: null, nats: null },
      line:
        'Image API started: HTTP on 0.0.0.0:3000; no TCP listener (MICROSERVICE_PORT unset); ' +
        'no NATS (NATS_URL unset): events stay in the outbox',
    });
  });
});
