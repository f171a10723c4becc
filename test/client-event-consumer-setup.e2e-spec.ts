import {
  consumeImageEvents,
  DEAD_LETTER_HEADERS,
  type ImageEventConsumer,
  type ImageEventConsumerOptions,
} from '@image-api/client';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { uniqueNatsNames } from './helpers/messaging';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A NATS server of this file's own (never the machine's shared one). */
let broker: OwnNatsServer;

/** A consumer of the durable `setup` on `stream`, quiet. */
const setupOptions = (subjectPrefix: string, stream: string): ImageEventConsumerOptions => ({
  nats: { servers: broker.url },
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
    broker = new OwnNatsServer(await stablePort());
    await broker.start();
    nc = await connect({ servers: broker.url });
    manager = await nc.jetstreamManager();
  });

  afterAll(async () => {
    for (const name of made) await manager?.streams.delete(name).catch(() => undefined);
    await nc?.close();
    await broker?.dispose();
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
    'should set itself up again when %s is deleted under it, and go on consuming, skipping nothing',
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
        // Published while the durable is gone (found by a probe: made again at `startAt: 'new'`,
        // it skipped these): the new durable starts after the last event taken, or at the first
        // event of the stream made anew.
        await publish('gone');
        await until(() =>
          manager.consumers.info(stream, 'setup').then(
            () => true,
            () => false,
          ),
        );
        await publish('after');
        await until(() => Promise.resolve(seen.includes('after')));
        await sleep(300);
        // The last event taken may come again (at least once); nothing is skipped.
        expect(seen.filter((id, index) => index === 0 || id !== 'before')).toEqual([
          'before',
          'gone',
          'after',
        ]);
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

  /** Publishes an event's JSON (or any JSON) on the stream's subject for `type`. */
  function publisher(subjectPrefix: string) {
    return (type: string, body: unknown, id: string) =>
      nc
        .jetstream()
        .publish(`${subjectPrefix}images.events.${type}`, JSON.stringify(body), { msgID: id });
  }

  // Found by a probe: stop() awaited the pull's close before its loop ended, and nats.js ends the
  // pull from inside the iterator the loop had left: a stop during a handler never returned.
  it('should stop while its handler runs: that event is acknowledged, the fetched ones come back', async () => {
    const { subjectPrefix, stream } = uniqueNatsNames();
    made.push(stream, `${stream}_DEAD_LETTER`);
    await manager.streams.add({ name: stream, subjects: [`${subjectPrefix}images.events.>`] });
    const publish = publisher(subjectPrefix);
    const ids = ['e1', 'e2', 'e3', 'e4', 'e5'];
    const first: string[] = [];
    let handling: () => void = () => undefined;
    const handlerStarted = new Promise<void>((resolve) => {
      handling = resolve;
    });
    // Fetched and not handled, an event comes back after the ack wait.
    const options = { ...setupOptions(subjectPrefix, stream), ackWaitMs: 2000 };
    const consumer = await consumeImageEvents(options, async (event) => {
      handling();
      await sleep(500);
      first.push(event.id);
    });
    for (const id of ids) await publish('image.created', { id, type: 'image.created' }, id);
    await handlerStarted;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      consumer.stop().then(() => 'stopped'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still stopping after 10 s'), 10_000);
      }),
    ]);
    clearTimeout(timer);
    expect(stopped).toBe('stopped');
    expect(first).toEqual(['e1']);

    // The same durable again: exactly the events the first did not handle, none twice.
    const second: string[] = [];
    const again = await consumeImageEvents(options, (event) => {
      second.push(event.id);
    });
    try {
      await until(() => Promise.resolve(second.length >= ids.length - 1));
      await sleep(300);
      // Redelivered after the ack wait, in the broker's order, which JetStream does not promise.
      expect([...second].sort()).toEqual(['e2', 'e3', 'e4', 'e5']);
    } finally {
      await again.stop();
    }
  }, 40_000);

  // Found by a probe: with two types or more, a JSON `null` (or any non-object) was read for its
  // type outside the handler's guard: the pull ended, and the message came back for ever.
  it.each([null, 42, 'text', [], { id: 'x' }])(
    'should dead-letter an event that is JSON but no event (%j) at once, and go on',
    async (body) => {
      const { subjectPrefix, stream } = uniqueNatsNames();
      made.push(stream, `${stream}_DEAD_LETTER`);
      await manager.streams.add({ name: stream, subjects: [`${subjectPrefix}images.events.>`] });
      const publish = publisher(subjectPrefix);
      const seen: string[] = [];
      const consumer = await consumeImageEvents(
        { ...setupOptions(subjectPrefix, stream), types: ['image.created', 'image.deleted'] },
        (event) => {
          seen.push(event.id);
        },
      );
      try {
        await publish('image.created', body, 'poison');
        await publish('image.deleted', { id: 'good', type: 'image.deleted' }, 'good');
        await until(() => Promise.resolve(seen.includes('good')));
        const deadLetters = `${stream}_DEAD_LETTER`;
        await until(async () => (await manager.streams.info(deadLetters)).state.messages === 1);
        const letter = await manager.streams.getMessage(deadLetters, { seq: 1 });
        expect({
          data: new TextDecoder().decode(letter.data),
          deliveries: letter.header.get(DEAD_LETTER_HEADERS.deliveries),
          error: letter.header.get(DEAD_LETTER_HEADERS.error),
        }).toEqual({
          data: JSON.stringify(body),
          deliveries: '1',
          error: 'the event is not an object with a type',
        });
        expect(seen).toEqual(['good']);
      } finally {
        await consumer.stop();
      }
    },
    40_000,
  );
});
