import {
  consumeImageEvents,
  type ImageEventConsumer,
  type ImageEventConsumerOptions,
} from '@image-api/client';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { TEST_NATS_URL, uniqueNatsNames } from './helpers/messaging';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A consumer of the durable `setup` on `stream`, quiet. */
const setupOptions = (subjectPrefix: string, stream: string): ImageEventConsumerOptions => ({
  nats: { servers: TEST_NATS_URL },
  subjectPrefix,
  stream,
  durableName: 'setup',
  logger: false,
});

async function streamNames(manager: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const info of manager.streams.list()) names.push(info.config.name);
  return names;
}

/**
 * How `consumeImageEvents` sets itself up on a real NATS server, found by a probe: with a `stream`
 * that does not exist (a typo) it made the dead-letter stream anyway, and that stream's subjects
 * then kept the right stream's dead-letter stream from being made, so the right consumer hung too.
 */
describe('the event consumer setting up its streams', () => {
  let nc: NatsConnection;
  let manager: JetStreamManager;
  const made: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    manager = await nc.jetstreamManager();
  });

  afterAll(async () => {
    for (const name of made) await manager.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  it('should make no dead-letter stream while its events stream is missing, and start once that exists', async () => {
    const { subjectPrefix, stream } = uniqueNatsNames();
    made.push(stream, `${stream}_DEAD_LETTER`);
    let consumer: ImageEventConsumer | undefined;
    const started = consumeImageEvents(setupOptions(subjectPrefix, stream), () => undefined).then(
      (running) => {
        consumer = running;
      },
    );
    await sleep(1500);
    expect(consumer).toBeUndefined();
    expect((await streamNames(manager)).filter((name) => name.startsWith(stream))).toEqual([]);

    await manager.streams.add({ name: stream, subjects: [`${subjectPrefix}images.events.>`] });
    await started;
    expect((await streamNames(manager)).filter((name) => name.startsWith(stream)).sort()).toEqual([
      stream,
      `${stream}_DEAD_LETTER`,
    ]);
    await consumer!.stop();
  }, 30_000);

  it('should refuse at once, naming the subjects, when another stream captures its dead letters', async () => {
    const { subjectPrefix, stream } = uniqueNatsNames();
    made.push(stream, `${stream}_STRAY`);
    await manager.streams.add({ name: stream, subjects: [`${subjectPrefix}images.events.>`] });
    await manager.streams.add({
      name: `${stream}_STRAY`,
      subjects: [`${subjectPrefix}images.dead_letter.>`],
    });
    await expect(
      consumeImageEvents(setupOptions(subjectPrefix, stream), () => undefined),
    ).rejects.toThrow(
      `the dead-letter stream ${stream}_DEAD_LETTER cannot be made: another stream already captures ${subjectPrefix}images.dead_letter.>: name that stream in deadLetter.stream, or delete it`,
    );
  }, 30_000);
});
