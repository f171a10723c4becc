import {
  consumeImageEvents,
  DEAD_LETTER_HEADERS,
  type ImageApiEvent,
  ImageClient,
  ImageClientUnavailableError,
  type ImageEventConsumer,
  type ImageEventConsumerOptions,
  type ImageClientLogger,
  retry,
} from '@image-api/client';
import { connect, StringCodec } from 'nats';
import type { DataSource } from 'typeorm';
import { Permission } from '../src/auth/permissions';
import { countRows } from './helpers/image-rows';
import { uniqueNatsNames } from './helpers/messaging';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';
import { createTestApp, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { tokenWith } from './helpers/tokens';

/**
 * The package's client and event consumer through a real broker outage: a NATS server this test
 * starts on a port of its own is killed for 40 s while a reader keeps calling,
 * writes go on over HTTP and two durable consumers follow the events, then started again on the
 * same port and store. Calls fail with the 503 unavailable error during the outage and succeed
 * afterwards on the same client; the consumer gets every event written meanwhile, in order; a
 * handler that always throws sends each of its events to the dead-letter subject after
 * `maxDeliver` deliveries. Run once, on MariaDB when configured (the broker is what is tested).
 */
const OUTAGE_MS = 40_000;
const MAX_DELIVER = 3;
const kind = testDatabaseKinds().slice(-1)[0];
const { subjectPrefix, stream } = uniqueNatsNames();
const codec = StringCodec();
const token = tokenWith(Permission.CreateImage, Permission.UpdateImage, Permission.DeleteImage);

interface Outcome {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly error?: unknown;
}

/** A logger that keeps its lines. */
function recordingLogger(): ImageClientLogger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string) => void lines.push(message);
  return { lines, log: keep, warn: keep, error: keep };
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface OutboxRow {
  outbox_id: number | string;
  event_id: string;
  event_type: string;
  image_id: number | string;
  actor: string;
  payload: string;
}

function outboxRows(dataSource: DataSource): Promise<OutboxRow[]> {
  return dataSource.query(
    'SELECT outbox_id, event_id, event_type, image_id, actor, payload FROM image_event_outbox ORDER BY outbox_id',
  );
}

describe(`the client and the event consumer through a ${OUTAGE_MS / 1000} s broker outage [${kind}]`, () => {
  let broker: OwnNatsServer;
  let app: TestApp;
  let client: ImageClient;
  const consumers: ImageEventConsumer[] = [];
  const heard: ImageApiEvent[] = [];
  const poisonCalls = new Map<string, number>();
  const consumerLog = recordingLogger();

  function consumerOptions(durableName: string): ImageEventConsumerOptions {
    return {
      nats: { servers: broker.url },
      reconnect: { maxDelayMs: 1000 },
      subjectPrefix,
      stream,
      durableName,
      retryDelay: { minDelayMs: 50, maxDelayMs: 200 },
    };
  }

  beforeAll(async () => {
    broker = new OwnNatsServer(await stablePort());
    await broker.start();
    app = await createTestApp(kind, {
      listeners: true,
      env: {
        NATS_URL: broker.url,
        NATS_SUBJECT_PREFIX: subjectPrefix,
        NATS_EVENTS_STREAM: stream,
        OUTBOX_RETRY_MAX_MS: '1000',
        // Links of lists asked over the broker and over HTTP alike.
        PUBLIC_URL: 'http://images.internal',
      },
    });
    client = new ImageClient({
      nats: { servers: broker.url },
      subjectPrefix,
      timeoutMs: 3000,
      reconnect: { maxDelayMs: 1000 },
      logger: false,
    });
    consumers.push(
      await consumeImageEvents({ ...consumerOptions('catalog'), logger: consumerLog }, (event) => {
        heard.push(event);
      }),
      await consumeImageEvents(
        {
          ...consumerOptions('poison'),
          types: ['image.created'],
          maxDeliver: MAX_DELIVER,
          logger: false,
        },
        (event) => {
          poisonCalls.set(event.id, (poisonCalls.get(event.id) ?? 0) + 1);
          throw new Error(`cannot handle ${event.id}`);
        },
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    for (const consumer of consumers) await consumer.stop();
    await app?.close();
    await broker?.dispose();
  });

  function httpCreate(path: string) {
    return app
      .http()
      .post('/api/image')
      .set('Authorization', `Bearer ${token}`)
      .send({ path, facet: 'Cover' })
      .expect(201);
  }

  it('should fail calls with 503 during the outage, answer them afterwards on the same client, and deliver every event', async () => {
    const before = await client.create(token, { path: 'outage/before.jpg', facet: 'Cover' });
    const id = before.image.image_id;
    expect(await client.show(id)).toEqual((await app.http().get(`/api/image/${id}`)).body);

    // A reader calling all along.
    const outcomes: Outcome[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const startedAt = Date.now();
        const error = await client.show(id).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        outcomes.push({ startedAt, endedAt: Date.now(), error });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const stoppedAt = Date.now();
    await broker.stop();

    // Reads and writes over the broker fail at once with the unavailable error.
    const started = Date.now();
    const read = await client.list().catch((error: unknown) => error);
    const write = await client
      .create(token, { path: 'outage/lost.jpg', facet: 'Grill' })
      .catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(1000);
    for (const failure of [read, write]) {
      expect(failure).toBeInstanceOf(ImageClientUnavailableError);
      expect(failure).toMatchObject({ status: 503 });
    }

    // The service goes on over HTTP; the events wait in the outbox.
    const created = [];
    for (const name of ['a', 'b', 'c']) created.push((await httpCreate(`outage/${name}.jpg`)).body);
    const [first, second] = created.map(
      (body: { image: { image_id: number } }) => body.image.image_id,
    );
    await app
      .http()
      .patch(`/api/image/${first}`)
      .set('Authorization', `Bearer ${token}`)
      .send({ facet: 'Grill' })
      .expect(200);
    await app
      .http()
      .delete(`/api/image/${second}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(await countRows(app.dataSource, 'image_event_outbox', 'published_at IS NULL')).toBe(5);

    await new Promise((resolve) => setTimeout(resolve, stoppedAt + OUTAGE_MS - Date.now()));
    expect(await client.show(id).catch((error: unknown) => error)).toBeInstanceOf(
      ImageClientUnavailableError,
    );
    const restartedAt = Date.now();
    await broker.start();

    // The same client answers again once the service's listener is back.
    const page = await retry(() => client.list({ page: { size: 3 }, sort: '-image_id' }), {
      attempts: 60,
      minDelayMs: 100,
      maxDelayMs: 500,
    });
    expect(page).toEqual((await app.http().get('/api/image?page[size]=3&sort=-image_id')).body);
    const after = await client.create(token, { path: 'outage/after.jpg', facet: 'Small Cover' });
    expect(after.image).toMatchObject({ path: 'outage/after.jpg', facet: 'Small Cover' });
    // The reader's call in flight when the listener came back may still fail: stop it only after
    // one of its calls, started once the broker was back, has been answered.
    await waitFor(
      () => outcomes.some((o) => o.error === undefined && o.startedAt > restartedAt),
      'a read answered after the outage',
    );
    reading = false;
    await reader;

    // The reader: successes before the outage, only 503s during it, successes after it.
    const failures = outcomes.filter((outcome) => outcome.error !== undefined);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.error).toBeInstanceOf(ImageClientUnavailableError);
      expect(failure.error).toMatchObject({ status: 503 });
      expect(failure.endedAt).toBeGreaterThanOrEqual(stoppedAt);
    }
    expect(
      outcomes.filter(
        (o) => o.error === undefined && o.startedAt > stoppedAt && o.endedAt < restartedAt,
      ),
    ).toEqual([]);
    expect(outcomes[0].error).toBeUndefined();
    expect(outcomes[outcomes.length - 1].error).toBeUndefined();

    // Every event, before, during and after the outage, reached the consumer once, in order.
    await waitFor(
      async () =>
        (await countRows(app.dataSource, 'image_event_outbox', 'published_at IS NULL')) === 0,
      'the outbox to be published',
    );
    const rows = await outboxRows(app.dataSource);
    expect(rows).toHaveLength(7);
    await waitFor(() => heard.length >= rows.length, 'the consumer to hear every event');
    expect(heard).toEqual(
      rows.map((row) => ({
        id: row.event_id,
        type: row.event_type,
        sequence: Number(row.outbox_id),
        image_id: Number(row.image_id),
        actor: row.actor,
        occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        data: JSON.parse(row.payload),
      })),
    );
    expect(heard.map((event) => event.type)).toEqual([
      'image.created',
      'image.created',
      'image.created',
      'image.created',
      'image.updated',
      'image.deleted',
      'image.created',
    ]);
  }, 150_000);

  it('should move each event a handler always fails on to the dead-letter subject after maxDeliver deliveries', async () => {
    const created = (await outboxRows(app.dataSource)).filter(
      (row) => row.event_type === 'image.created',
    );
    expect(created).toHaveLength(5);
    const deadLetterStream = `${stream}_DEAD_LETTER`;
    const connection = await connect({ servers: broker.url });
    try {
      const manager = await connection.jetstreamManager();
      await waitFor(
        async () => (await manager.streams.info(deadLetterStream)).state.messages >= created.length,
        'the dead letters',
      );
      const letters = [];
      for (let seq = 1; seq <= created.length; seq += 1) {
        const letter = await manager.streams.getMessage(deadLetterStream, { seq });
        letters.push({
          subject: letter.subject,
          consumer: letter.header.get(DEAD_LETTER_HEADERS.consumer),
          deliveries: letter.header.get(DEAD_LETTER_HEADERS.deliveries),
          error: letter.header.get(DEAD_LETTER_HEADERS.error),
          eventId: (JSON.parse(codec.decode(letter.data)) as ImageApiEvent).id,
        });
      }
      // Redelivery delays are jittered, so events may reach the dead-letter subject in any order.
      const byEventId = (a: { eventId: string }, b: { eventId: string }) =>
        a.eventId.localeCompare(b.eventId);
      expect(letters.sort(byEventId)).toEqual(
        created
          .map((row) => ({
            subject: `${subjectPrefix}images.dead_letter.poison`,
            consumer: 'poison',
            deliveries: String(MAX_DELIVER),
            error: `cannot handle ${row.event_id}`,
            eventId: row.event_id,
          }))
          .sort(byEventId),
      );
      expect([...poisonCalls.entries()]).toEqual(created.map((row) => [row.event_id, MAX_DELIVER]));
      // Dead letters are dropped from the consumer: nothing is left to deliver.
      const info = await manager.consumers.info(stream, 'poison');
      expect(info.num_pending + info.num_ack_pending + info.num_redelivered).toBe(0);
    } finally {
      await connection.close();
    }
  });

  it('should log when the consumer stops, with what it handled', async () => {
    await consumers[0].stop();
    expect(consumerLog.lines.slice(-1)).toEqual([
      `Image events consumer ${stream}/catalog: stopped (stop() was called) after 7 event(s), 0 dead-lettered`,
    ]);
  });
});
