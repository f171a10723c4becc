import { connect, nanos, NatsConnection, StorageType } from 'nats';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';
import { ServiceProcess } from './helpers/service-process';

/**
 * The real `main.ts` against a NATS server of this file (on a port of its own) that already
 * holds the default stream of another deployment, `IMAGE_EVENTS` on `images.events.>`: a
 * subject prefix or a stream name that does not go with it stops start-up with one line; a
 * prefix with a stream of its own starts and says in its log what listens where, on which
 * subjects, into which stream.
 */
let nats: OwnNatsServer;
const started: ServiceProcess[] = [];
let connection: NatsConnection;

async function service(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const process = new ServiceProcess(name, await stablePort(), { NATS_URL: nats.url, ...env });
  started.push(process);
  return process;
}

/** Resolves once the process has exited; fails if it is still running after `timeoutMs`. */
async function exitOf(process: ServiceProcess, timeoutMs = 150_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${process.name} kept running`)), timeoutMs);
  });
  try {
    return await Promise.race([process.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  nats = new OwnNatsServer(await stablePort());
  await nats.start();
  connection = await connect({ servers: nats.url });
  const manager = await connection.jetstreamManager();
  await manager.streams.add({
    name: 'IMAGE_EVENTS',
    subjects: ['images.events.>'],
    storage: StorageType.File,
    duplicate_window: nanos(120_000),
  });
});

afterAll(async () => {
  await Promise.all(started.map((process) => process.close()));
  await connection?.close();
  await nats?.dispose();
});

describe('start-up with NATS', () => {
  it('should stop with one line when only the prefix changed on a broker with the default stream, or only the stream', async () => {
    const prefixOnly = await service('prefix-only', { NATS_SUBJECT_PREFIX: 'staging' });
    const streamOnly = await service('stream-only', { NATS_EVENTS_STREAM: 'OTHER_EVENTS' });

    const [prefixExit, streamExit] = await Promise.all([exitOf(prefixOnly), exitOf(streamOnly)]);
    expect(prefixExit).toEqual({ code: 1, signal: null });
    expect(prefixOnly.output.stderr).toBe(
      'Start-up failed: The JetStream stream IMAGE_EVENTS (NATS_EVENTS_STREAM) captures ' +
        'images.events.>, not the events of NATS_SUBJECT_PREFIX "staging." ' +
        '(staging.images.events.>): give this prefix a stream of its own with ' +
        "NATS_EVENTS_STREAM (created when missing), or use the stream's prefix\n",
    );
    expect(streamExit).toEqual({ code: 1, signal: null });
    expect(streamOnly.output.stderr).toBe(
      'Start-up failed: The JetStream stream OTHER_EVENTS (NATS_EVENTS_STREAM) cannot be ' +
        'created: IMAGE_EVENTS already captures the events of NATS_SUBJECT_PREFIX "" ' +
        '(images.events.>); set NATS_EVENTS_STREAM=IMAGE_EVENTS, or give this deployment ' +
        'another NATS_SUBJECT_PREFIX\n',
    );
    // Nothing was created or changed on the broker.
    const manager = await connection.jetstreamManager();
    const streams = await manager.streams.list().next();
    expect(streams.map((info) => [info.config.name, info.config.subjects])).toEqual([
      ['IMAGE_EVENTS', ['images.events.>']],
    ]);
  }, 180_000);

  it('should start with a prefix and a stream of its own, and log the transports, ports, subjects and stream', async () => {
    const tcpPort = await stablePort();
    const staging = await service('staging', {
      NATS_SUBJECT_PREFIX: 'staging',
      NATS_EVENTS_STREAM: 'STAGING_IMAGE_EVENTS',
      MICROSERVICE_PORT: String(tcpPort),
      LOG_LEVEL: 'info',
    });
    await staging.ready(150_000);

    const started = staging.output.stdout
      .split('\n')
      .filter((line) => line.includes('Image API started'))
      .map((line) => JSON.parse(line) as { msg: string; listening: unknown });
    expect(started).toEqual([
      expect.objectContaining({
        msg:
          `Image API started: HTTP on 0.0.0.0:${staging.port}; ` +
          `TCP messages on 127.0.0.1:${tcpPort}; ` +
          `NATS messages on ${nats.url} (queue image-api, subjects staging.animeimage.*, staging.artistimage.*, staging.image.*, staging.playlistimage.*, staging.studioimage.*); ` +
          'events on staging.images.events.> into the JetStream stream STAGING_IMAGE_EVENTS',
        listening: {
          http: { host: '0.0.0.0', port: staging.port },
          tcp: { host: '127.0.0.1', port: tcpPort },
          nats: {
            servers: [nats.url],
            queue: 'image-api',
            requestSubjects:
              'staging.animeimage.*, staging.artistimage.*, staging.image.*, staging.playlistimage.*, staging.studioimage.*',
            eventSubjects: 'staging.images.events.>',
            stream: 'STAGING_IMAGE_EVENTS',
          },
        },
      }),
    ]);
    const manager = await connection.jetstreamManager();
    expect((await manager.streams.info('STAGING_IMAGE_EVENTS')).config.subjects).toEqual([
      'staging.images.events.>',
    ]);
  }, 180_000);
});
