import {
  consumeImageEvents,
  DEAD_LETTER_HEADERS,
  type ImageClientLogger,
  type ImageEventConsumer,
  type ImageEventConsumerOptions,
} from '@image-api/client';
import { AckPolicy, connect, type JetStreamManager, type NatsConnection } from 'nats';
import { uniqueNatsNames } from './helpers/messaging';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';
import { waitFor } from './helpers/wait-for';

/**
 * The event consumer's faults found by a black-box probe, on a NATS server of this file's own:
 * dead letters lost once the events stream was made anew, a `stop()` from the handler that never
 * returned, a dead-letter stream deleted under it never made again, broker refusals retried for
 * ever, durables shared across other `types` lists, and a heartbeat slower than a short ack wait.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();

/** A logger that keeps its lines. */
function recordingLogger(): ImageClientLogger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => void lines.push(message);
  return { lines, log: keep, warn: keep, error: keep };
}

/** What `promise` settles with, or `late` when that takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, late: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(late), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the event consumer under faults', () => {
  let broker: OwnNatsServer;
  let nc: NatsConnection;
  let manager: JetStreamManager;
  const running: ImageEventConsumer[] = [];

  beforeAll(async () => {
    broker = new OwnNatsServer(await stablePort());
    await broker.start();
    nc = await connect({ servers: broker.url });
    manager = await nc.jetstreamManager();
  });

  afterEach(async () => {
    for (const consumer of running.splice(0)) await consumer.stop();
  });

  afterAll(async () => {
    await nc?.close();
    await broker?.dispose();
  });

  /** A fresh prefix and events stream, and the options of a consumer on them. */
  async function scene(durableName: string, extra: Partial<ImageEventConsumerOptions> = {}) {
    const { subjectPrefix, stream } = uniqueNatsNames();
    const addStream = () =>
      manager.streams.add({ name: stream, subjects: [`${subjectPrefix}images.events.>`] });
    await addStream();
    const options: ImageEventConsumerOptions = {
      nats: { servers: broker.url },
      subjectPrefix,
      stream,
      durableName,
      logger: false,
      retryDelay: { minDelayMs: 50, maxDelayMs: 200 },
      ...extra,
    };
    const publish = (type: string, id: string) =>
      nc
        .jetstream()
        .publish(
          `${subjectPrefix}images.events.${type.replace(/^image\./, '')}`,
          JSON.stringify({ id, type }),
          {
            msgID: id,
          },
        );
    const start = async (
      handler: Parameters<typeof consumeImageEvents>[1],
      more: Partial<ImageEventConsumerOptions> = {},
    ) => {
      const consumer = await consumeImageEvents({ ...options, ...more }, handler);
      running.push(consumer);
      return consumer;
    };
    const deadLetters = async () => {
      const count = (await manager.streams.info(`${stream}_DEAD_LETTER`)).state.messages;
      const letters: { data: string; sequence: string | undefined; error: string | undefined }[] =
        [];
      for (let seq = 1; letters.length < count; seq += 1) {
        const letter = await manager.streams.getMessage(`${stream}_DEAD_LETTER`, { seq });
        letters.push({
          data: decoder.decode(letter.data),
          sequence: letter.header.get(DEAD_LETTER_HEADERS.streamSequence),
          error: letter.header.get(DEAD_LETTER_HEADERS.error),
        });
      }
      return letters;
    };
    const durableExists = () =>
      manager.consumers.info(stream, durableName).then(
        () => true,
        () => false,
      );
    return { subjectPrefix, stream, addStream, publish, start, deadLetters, durableExists };
  }

  // Found by a probe: the dead letter's message id was `<stream>:<durable>:<sequence>`, so after
  // the stream was made anew (sequences start at 1 again) JetStream dropped it as a duplicate,
  // and the consumer, not reading PubAck.duplicate, dropped the event too.
  it('should dead-letter the events of an events stream made anew, and store a redelivered one once', async () => {
    const logger = recordingLogger();
    const { stream, addStream, publish, start, deadLetters, durableExists } = await scene('dead', {
      maxDeliver: 1,
      startAt: 'all',
      logger,
    });
    await start((event) => {
      throw new Error(`cannot handle ${event.id}`);
    });
    const letter = (id: string) => ({
      data: JSON.stringify({ id, type: 'image.created' }),
      sequence: '1',
      error: `cannot handle ${id}`,
    });

    await publish('image.created', 'first');
    await waitFor('the consumer to get there', async () => (await deadLetters()).length === 1);

    // The same stream message again (a new durable from 'all'): one dead letter still.
    await manager.consumers.delete(stream, 'dead');
    await waitFor('the consumer to get there', () =>
      logger.lines.some((line) => line.includes('(stored there already)')),
    );
    expect(await deadLetters()).toEqual([letter('first')]);

    // The stream made anew: its sequence 1 is another message.
    await manager.streams.delete(stream);
    await addStream();
    await waitFor('the consumer to get there', durableExists);
    await publish('image.created', 'second');
    await waitFor('the consumer to get there', async () => (await deadLetters()).length === 2);
    await sleep(300);
    expect(await deadLetters()).toEqual([letter('first'), letter('second')]);
    expect(logger.lines.filter((line) => line.includes('moved stream sequence 1 to')).length).toBe(
      3,
    );
  }, 60_000);

  // Found by a probe: stop() awaited the loop, which awaited the handler that awaited stop().
  it('should stop when the handler calls stop(), once that handler returns', async () => {
    // Published first (and taken from the start): all three come in the first pull.
    const { stream, publish, start } = await scene('stopper', { startAt: 'all' });
    for (const id of ['e1', 'e2', 'e3']) await publish('image.created', id);
    const handled: string[] = [];
    let handlerDone: Promise<string> | undefined;
    const consumer: ImageEventConsumer = await start((event) => {
      const done = (async () => {
        await consumer.stop();
        handled.push(event.id);
        return 'the handler returned';
      })();
      handlerDone ??= done;
      return done;
    });
    await waitFor('the consumer to get there', () => handlerDone !== undefined);
    expect(await within(handlerDone!, 5000, 'the handler still waits for stop() after 5 s')).toBe(
      'the handler returned',
    );
    expect(
      await within(
        consumer.stop().then(() => 'stopped'),
        5000,
        'still stopping',
      ),
    ).toBe('stopped');
    expect(handled).toEqual(['e1']);
    // Its event is acknowledged; the others it had fetched wait for the ack wait.
    const info = await manager.consumers.info(stream, 'stopper');
    expect({ acked: info.ack_floor.stream_seq, pending: info.num_ack_pending }).toEqual({
      acked: 1,
      pending: 2,
    });
  }, 40_000);

  // Found by a probe: with its dead-letter stream deleted, publishing failed (503) for ever, logged
  // about 3 times a second.
  it('should make its dead-letter stream again when it was deleted under it', async () => {
    const logger = recordingLogger();
    const { stream, publish, start, deadLetters } = await scene('remade', {
      maxDeliver: 1,
      logger,
    });
    await start(() => {
      throw new Error('always');
    });
    await manager.streams.delete(`${stream}_DEAD_LETTER`);
    await publish('image.deleted', 'lost-before');
    await waitFor('the consumer to get there', async () =>
      (await deadLetters().catch(() => [])).some((letter) => letter.sequence === '1'),
    );
    expect(await deadLetters()).toEqual([
      {
        data: JSON.stringify({ id: 'lost-before', type: 'image.deleted' }),
        sequence: '1',
        error: 'always',
      },
    ]);
    expect(
      logger.lines.filter((line) =>
        line.endsWith(`created the dead-letter stream ${stream}_DEAD_LETTER`),
      ).length,
    ).toBe(2);
  }, 40_000);

  it('should wait longer after each failed dead-letter publish', async () => {
    const logger = recordingLogger();
    const { publish, start } = await scene('nowhere', {
      maxDeliver: 1,
      logger,
      retryDelay: { minDelayMs: 100, maxDelayMs: 60_000 },
      // No stream captures this subject, and none is to be made: every publish fails.
      deadLetter: { stream: false, subject: 'nowhere_dead_letters' },
    });
    await start(() => {
      throw new Error('always');
    });
    await publish('image.created', 'e1');
    const failures = () =>
      logger.lines
        .map((line) =>
          /could not publish stream sequence 1 to the dead-letter subject nowhere_dead_letters \((\d+)x, again in (\d+) ms\)/.exec(
            line,
          ),
        )
        .filter((match) => match !== null)
        .map((match) => ({ attempt: Number(match[1]), delay: Number(match[2]) }));
    await waitFor('the consumer to get there', () => failures().length >= 4);
    const first = failures().slice(0, 4);
    expect(first.map((failure) => failure.attempt)).toEqual([1, 2, 3, 4]);
    // 100 ms doubling, each jittered into the upper half of its step.
    expect(
      first.map(({ delay }, index) => delay >= 50 * 2 ** index && delay <= 100 * 2 ** index),
    ).toEqual([true, true, true, true]);
  }, 40_000);

  // Found by a probe: JetStream's refusals of a set-up (here a stream's consumer limit) were
  // retried for ever, where the README says the consumer rejects at once.
  it('should reject at once when JetStream refuses to make its durable', async () => {
    const { subjectPrefix, stream } = uniqueNatsNames();
    await manager.streams.add({
      name: stream,
      subjects: [`${subjectPrefix}images.events.>`],
      max_consumers: 1,
    });
    await manager.consumers.add(stream, { durable_name: 'first', ack_policy: AckPolicy.Explicit });
    const refused = consumeImageEvents(
      {
        nats: { servers: broker.url },
        subjectPrefix,
        stream,
        durableName: 'second',
        logger: false,
      },
      () => undefined,
    ).then(
      (consumer) => {
        running.push(consumer);
        return 'started';
      },
      (error: unknown) => (error as Error).message,
    );
    expect(await within(refused, 10_000, 'still trying after 10 s')).toBe(
      'the durable second cannot be made: maximum consumers limit reached (JetStream error 10026)',
    );
  }, 30_000);

  // Found by a probe: with two types or more the filter is the wildcard, so a durable made for
  // other types was taken, and two processes sharing it acknowledged each other's events unseen.
  it('should refuse a durable made for other types, recorded in its description', async () => {
    const { subjectPrefix, stream, start } = await scene('typed');
    const refusal = (more: Partial<ImageEventConsumerOptions>) =>
      start(() => undefined, more).then(
        () => 'started',
        (error: unknown) => (error as Error).message,
      );
    const first = await start(() => undefined, { types: ['image.deleted', 'image.created'] });
    await first.stop();
    expect((await manager.consumers.info(stream, 'typed')).config.description).toBe(
      '@image-api/client types: image.created,image.deleted',
    );

    expect(await refusal({ types: ['image.created', 'image.restored'] })).toBe(
      'the durable typed exists for the types image.created,image.deleted, not the types image.created,image.restored: delete it or use another durableName',
    );
    expect(await refusal({})).toBe(
      'the durable typed exists for the types image.created,image.deleted, not every event type: delete it or use another durableName',
    );
    // The same types in another order, or repeated: the same durable.
    expect(await refusal({ types: ['image.created', 'image.deleted', 'image.created'] })).toBe(
      'started',
    );

    // A durable without the record (made by an older client, or by hand) takes every type.
    await manager.consumers.add(stream, {
      durable_name: 'legacy',
      ack_policy: AckPolicy.Explicit,
      filter_subject: `${subjectPrefix}images.events.>`,
    });
    expect(
      await refusal({ durableName: 'legacy', types: ['image.created', 'image.deleted'] }),
    ).toBe(
      `the durable legacy exists with no record of its event types (its filter "${subjectPrefix}images.events.>" takes them all), not for the types image.created,image.deleted: delete it or use another durableName`,
    );
    expect(await refusal({ durableName: 'legacy' })).toBe('started');
  }, 40_000);

  // Found by a probe: the "still working" signal came every max(1 s, ackWait / 2), after a short
  // ack wait had run out, so the broker sent the event again while its handler still ran.
  it('should keep a short ack wait from running out while the handler works', async () => {
    const { publish, start } = await scene('slow', { ackWaitMs: 500 });
    const deliveries: string[] = [];
    await start(async (event, context) => {
      deliveries.push(`${event.id} #${context.deliveryCount}`);
      await sleep(1600);
    });
    await publish('image.created', 'slow');
    await waitFor('the consumer to get there', () => deliveries.length === 1);
    await sleep(2500);
    expect(deliveries).toEqual(['slow #1']);
  }, 30_000);
});
