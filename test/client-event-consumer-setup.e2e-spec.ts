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

  /** Waits (up to 20 s) until `check` holds. */
  async function until(check: () => Promise<boolean>): Promise<void> {
    for (let waited = 0; !(await check()); waited += 100) {
      if (waited > 20_000) throw new Error('gave up waiting');
      await sleep(100);
    }
  }

  // Found by a probe: with its durable deleted under it, the consumer stopped for good, silently
  // (the pull loop waited forever), where its documentation says it is set up again.
  it.each(['the durable', 'the events stream'])(
    'should set itself up again when %s is deleted under it, and go on consuming',
    async (deleted) => {
      const { subjectPrefix, stream } = uniqueNatsNames();
      made.push(stream, `${stream}_DEAD_LETTER`);
      const addStream = () =>
        manager.streams.add({ name: stream, subjects: [`${subjectPrefix}images.events.>`] });
      await addStream();
      const seen: string[] = [];
      const consumer = await consumeImageEvents(setupOptions(subjectPrefix, stream), (event) => {
        seen.push(event.id);
      });
      const publish = (id: string) =>
        nc
          .jetstream()
          .publish(
            `${subjectPrefix}images.events.image.created`,
            JSON.stringify({ id, type: 'image.created' }),
            { msgID: id },
          );
      try {
        await publish('before');
        await until(() => Promise.resolve(seen.includes('before')));
        if (deleted === 'the durable') {
          await manager.consumers.delete(stream, 'setup');
        } else {
          await manager.streams.delete(stream);
          await addStream();
        }
        // Set up again: the durable is back (a new one starts with what is published after it).
        await until(() =>
          manager.consumers.info(stream, 'setup').then(
            () => true,
            () => false,
          ),
        );
        await publish('after');
        await until(() => Promise.resolve(seen.includes('after')));
        expect(seen).toEqual(['before', 'after']);
      } finally {
        await consumer.stop();
      }
    },
    40_000,
  );

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
