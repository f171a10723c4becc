import { connect, JetStreamManager, NatsConnection, StringCodec } from 'nats';
import type { DataSource } from 'typeorm';
import type { ImageEvent } from '../src/events/image-event';
import { OutboxRelay } from '../src/events/outbox-relay';
import { countRows } from './helpers/image-rows';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';
import { createTestApp, TestApp } from './helpers/test-app';
import { testDatabaseKinds } from './helpers/test-database';
import { signTestToken } from './helpers/tokens';

/**
 * The relay publishes as soon as the broker connection comes back, not when its backoff ends: a
 * NATS server of this file (on a port of its own) is killed, a write's event
 * waits in the outbox while the relay's retries space out to many seconds, and once the server is
 * back on the same port and store the event is in the stream well before the relay's next
 * scheduled attempt.
 */
const codec = StringCodec();
const STREAM = 'IMAGE_EVENTS';

const pending = (dataSource: DataSource) =>
  countRows(dataSource, 'image_event_outbox', 'published_at IS NULL');

async function waitFor(what: string, timeoutMs: number, condition: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function streamEvents(manager: JetStreamManager): Promise<ImageEvent[]> {
  const { state } = await manager.streams.info(STREAM);
  const events: ImageEvent[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
    const stored = await manager.streams.getMessage(STREAM, { seq });
    events.push(JSON.parse(codec.decode(stored.data)) as ImageEvent);
  }
  return events;
}

describe.each(testDatabaseKinds())('the outbox relay when the broker comes back [%s]', (kind) => {
  let nats: OwnNatsServer;
  const token = signTestToken({ sub: 'reconnect-tester' });
  let testApp: TestApp;

  beforeAll(async () => {
    nats = new OwnNatsServer(await stablePort());
    await nats.start();
    testApp = await createTestApp(kind, {
      // A ceiling far above the test's length: only the reconnection can publish in time.
      env: { NATS_URL: nats.url, OUTBOX_RETRY_MAX_MS: '600000' },
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await nats?.dispose();
  });

  const create = async (path: string): Promise<number> =>
    (
      (await testApp
        .http()
        .post('/api/image')
        .set('Authorization', `Bearer ${token}`)
        .send({ path, facet: 'Cover' })
        .expect(201)) as { body: { image: { image_id: number } } }
    ).body.image.image_id;

  it('should publish the events of the outage as soon as the connection is back', async () => {
    const { dataSource } = testApp;
    const relay = testApp.app.get(OutboxRelay);
    const before = await create('anime/before.jpg');
    await waitFor('the first event', 10_000, async () => (await pending(dataSource)) === 0);

    await nats.stop();
    const during = await create('anime/during.jpg');
    expect(await pending(dataSource)).toBe(1);
    // The relay fails, and backs off: wait until its next attempt is at least 8 s away.
    await waitFor('a long backoff', 60_000, () =>
      Promise.resolve((relay.retryDueAt ?? 0) - Date.now() >= 8000),
    );
    const retryDueAt = relay.retryDueAt!;

    await nats.start();
    const back = Date.now();
    await waitFor('the outage event', 8000, async () => (await pending(dataSource)) === 0);
    const published = Date.now();
    // The client reconnects within its 2 s wait; the relay publishes at once, not at its retry.
    expect(published - back).toBeLessThan(5000);
    expect(published).toBeLessThan(retryDueAt);

    const connection: NatsConnection = await connect({ servers: nats.url });
    try {
      const events = await streamEvents(await connection.jetstreamManager());
      expect(events.map((event) => [event.type, event.image_id])).toEqual([
        ['image.created', before],
        ['image.created', during],
      ]);
      const [row] = await dataSource.query<{ event_id: string }[]>(
        'SELECT event_id FROM image_event_outbox WHERE image_id = ?',
        [during],
      );
      expect(events[1]).toMatchObject({ id: row.event_id, actor: 'reconnect-tester' });
    } finally {
      await connection.close();
    }
  }, 120_000);

  // Found by a probe: with the connection up, nothing made the stream again, and the events
  // stayed in the outbox until the next reconnect.
  it('should make the stream again when it was deleted under a live connection', async () => {
    const { dataSource } = testApp;
    await waitFor('an empty outbox', 10_000, async () => (await pending(dataSource)) === 0);
    const connection: NatsConnection = await connect({ servers: nats.url });
    try {
      const manager = await connection.jetstreamManager();
      await manager.streams.delete(STREAM);
      const after = await create('anime/after-delete.jpg');
      await waitFor('the event, in a stream made again', 30_000, async () => {
        return (await pending(dataSource)) === 0;
      });
      const events = await streamEvents(manager);
      expect(events.map((event) => [event.type, event.image_id])).toEqual([
        ['image.created', after],
      ]);
    } finally {
      await connection.close();
    }
  }, 120_000);
});
