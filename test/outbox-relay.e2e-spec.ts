import { Logger } from '@nestjs/common';
import { connect, JetStreamManager, NatsConnection, StringCodec } from 'nats';
import type { DataSource } from 'typeorm';
import type { ImageEvent } from '../src/events/image-event';
import { OutboxRelay } from '../src/events/outbox-relay';
import { countRows, insertImageRow } from './helpers/image-rows';
import { deleteStream, TEST_NATS_URL, uniqueNatsNames } from './helpers/messaging';
import { NatsProxy } from './helpers/nats-proxy';
import { createTestApp, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { signTestToken } from './helpers/tokens';

/**
 * The relay against the real NATS JetStream, reached through a proxy the test can cut: events are
 * published once committed; while the broker is unreachable (or the relay is stopped) writes go
 * on and events wait in the outbox; afterwards every event arrives, once per event id, in commit
 * order per image.
 */
const codec = StringCodec();

interface StreamMessage {
  readonly subject: string;
  readonly messageId: string | undefined;
  readonly event: ImageEvent;
}

/** Everything in the stream, in stream order. */
async function readStream(manager: JetStreamManager, stream: string): Promise<StreamMessage[]> {
  const { state } = await manager.streams.info(stream);
  const messages: StreamMessage[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
    const stored = await manager.streams.getMessage(stream, { seq });
    messages.push({
      subject: stored.subject,
      messageId: stored.header?.get('Nats-Msg-Id'),
      event: JSON.parse(codec.decode(stored.data)) as ImageEvent,
    });
  }
  return messages;
}

/** What a consumer does with at-least-once delivery: keeps the first message of each event id. */
function dedupe(messages: readonly StreamMessage[]): ImageEvent[] {
  const seen = new Set<string>();
  return messages
    .map((message) => message.event)
    .filter((event) => !seen.has(event.id) && seen.add(event.id) !== undefined);
}

async function outboxEventIds(dataSource: DataSource): Promise<string[]> {
  const rows: { event_id: string }[] = await dataSource.query(
    'SELECT event_id FROM image_event_outbox ORDER BY outbox_id',
  );
  return rows.map((row) => row.event_id);
}

const pending = (dataSource: DataSource) =>
  countRows(dataSource, 'image_event_outbox', 'published_at IS NULL');

/** Polls until `condition` holds (the relay works in the background); fails after 20 s. */
async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Per image, the event types in the order given. */
function typesByImage(events: readonly ImageEvent[]): Record<number, string[]> {
  const byImage: Record<number, string[]> = {};
  for (const event of events) (byImage[event.image_id] ??= []).push(event.type);
  return byImage;
}

describe.each(testDatabaseKinds())('the outbox relay with NATS JetStream [%s]', (kind) => {
  const { subjectPrefix, stream } = uniqueNatsNames();
  const proxy = new NatsProxy();
  const token = signTestToken({ sub: 'relay-tester' });
  let testApp: TestApp;
  let connection: NatsConnection;
  let manager: JetStreamManager;

  beforeAll(async () => {
    await proxy.start();
    testApp = await createTestApp(kind, {
      env: {
        NATS_URL: proxy.url,
        NATS_SUBJECT_PREFIX: subjectPrefix,
        NATS_EVENTS_STREAM: stream,
        OUTBOX_RETRY_MAX_MS: '200',
        OUTBOX_POLL_INTERVAL_MS: '100',
      },
    });
    connection = await connect({ servers: TEST_NATS_URL });
    manager = await connection.jetstreamManager();
  });

  afterAll(async () => {
    await testApp?.close();
    await proxy.stop();
    await connection?.close();
    await deleteStream(stream);
  });

  const http = () => testApp.http();
  const send = <T extends { set(name: string, value: string): T }>(request: T): T =>
    request.set('Authorization', `Bearer ${token}`);
  const create = async (path: string): Promise<number> =>
    (
      (await send(http().post('/api/image').send({ path, facet: 1 })).expect(201)).body as {
        image: { image_id: number };
      }
    ).image.image_id;

  it('should publish a committed event to <prefix>images.events.created, the event id as message id', async () => {
    const id = await create('anime/first.jpg');
    await waitFor(
      'the first event to be published',
      async () => (await pending(testApp.dataSource)) === 0,
    );

    const [message, ...others] = await readStream(manager, stream);
    expect(others).toEqual([]);
    const [eventId] = await outboxEventIds(testApp.dataSource);
    expect(message.subject).toBe(`${subjectPrefix}images.events.created`);
    expect(message.messageId).toBe(eventId);
    expect(message.event).toEqual({
      id: eventId,
      type: 'image.created',
      sequence: expect.any(Number),
      image_id: id,
      actor: 'relay-tester',
      occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      data: { image: expect.objectContaining({ image_id: id, path: 'anime/first.jpg' }) },
    });
  });

  it('should keep answering writes while NATS is unreachable, then deliver every event once, in order per image', async () => {
    const { dataSource } = testApp;
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await proxy.stop();

    const a = await create('anime/a.jpg');
    const b = await create('anime/b.jpg');
    await send(http().patch(`/api/image/${a}`).send({ path: 'anime/a2.jpg' })).expect(200);
    await send(http().delete(`/api/image/${b}`)).expect(200);
    await send(http().patch(`/api/image/${a}`).send({ facet: 'Grill' })).expect(200);
    await send(http().patch(`/api/restore/image/${b}`)).expect(200);
    const c = await create('anime/c.jpg');
    await send(http().delete(`/api/forceDelete/image/${a}`)).expect(200);
    await send(http().put(`/api/image/${c}`).send({ facet: 0 })).expect(200);
    // Nothing can have reached the broker: every event of the outage waits in the outbox, and the
    // relay has tried and failed (it backs off and tries again).
    expect(await pending(dataSource)).toBe(9);
    await waitFor('the relay to report a failed publish', () =>
      Promise.resolve(
        warn.mock.calls.some(([message]) =>
          String(message).startsWith('Events stay in the outbox'),
        ),
      ),
    );

    await proxy.start();
    await waitFor('the outbox to drain', async () => (await pending(dataSource)) === 0);

    const messages = await readStream(manager, stream);
    const events = dedupe(messages);
    // Every event committed so far, each exactly once (JetStream dropped re-sent message ids).
    expect(events.map((event) => event.id).sort()).toEqual(
      (await outboxEventIds(dataSource)).sort(),
    );
    expect(messages).toHaveLength(events.length);
    for (const message of messages) expect(message.messageId).toBe(message.event.id);
    // In commit order per image.
    expect(typesByImage(events.filter((event) => [a, b, c].includes(event.image_id)))).toEqual({
      [a]: ['image.created', 'image.updated', 'image.updated', 'image.force_deleted'],
      [b]: ['image.created', 'image.deleted', 'image.restored'],
      [c]: ['image.created', 'image.updated'],
    });
    for (const id of [a, b, c]) {
      const sequences = events.filter((event) => event.image_id === id).map((e) => e.sequence);
      expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    }
    warn.mockRestore();
  });

  it('should publish what was committed while the relay was stopped once it starts again', async () => {
    const { dataSource } = testApp;
    const relay = testApp.app.get(OutboxRelay);
    await relay.stop();
    const image = await insertImageRow(dataSource);
    await send(http().delete(`/api/image/${image.image_id}`)).expect(200);
    await send(http().patch(`/api/restore/image/${image.image_id}`)).expect(200);
    expect(await pending(dataSource)).toBe(2);

    relay.start();
    await waitFor('the outbox to drain', async () => (await pending(dataSource)) === 0);
    const events = dedupe(await readStream(manager, stream));
    expect(typesByImage(events)[image.image_id]).toEqual(['image.deleted', 'image.restored']);
    expect(events.map((event) => event.id).sort()).toEqual(
      (await outboxEventIds(dataSource)).sort(),
    );
  });

  it('should not store an event twice when it is published again (crash between publish and stamp)', async () => {
    const { dataSource } = testApp;
    const relay = testApp.app.get(OutboxRelay);
    await relay.stop();
    const before = await readStream(manager, stream);
    await dataSource.query('UPDATE image_event_outbox SET published_at = NULL');
    expect(await pending(dataSource)).toBe(before.length);

    relay.start();
    await waitFor('the outbox to drain', async () => (await pending(dataSource)) === 0);
    // Every event went out again; JetStream dropped each copy by its message id.
    expect(await readStream(manager, stream)).toEqual(before);
  });
});
