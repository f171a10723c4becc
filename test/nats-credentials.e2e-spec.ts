import { ImageClient } from '@image-api/client';
import { connect } from 'nats';
import { Permission } from '../src/auth/permissions';
import { uniqueNatsNames } from './helpers/messaging';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';
import { createTestApp, type TestApp } from './helpers/test-app';
import { bearer, tokenWith } from './helpers/tokens';

const USER = 'image-api';
const PASSWORD = 'p@ss:w/rd%';

/**
 * A NATS server that requires a user (found by a probe): nats.js does not read a user and
 * password from the server URL, so `NATS_URL=nats://user:password@host` failed every start with
 * "Authorization Violation", and docs/microservice.md's advice to give the service a user of its
 * own could not be followed. The listener and the event relay both log in now.
 */
describe('NATS_URL with a user and password', () => {
  let broker: OwnNatsServer;
  let testApp: TestApp;
  const { subjectPrefix, stream } = uniqueNatsNames();

  beforeAll(async () => {
    broker = new OwnNatsServer(await stablePort(), ['--user', USER, '--pass', PASSWORD]);
    await broker.start();
    testApp = await createTestApp('sqlite', {
      listeners: true,
      env: {
        NATS_URL: `nats://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${broker.port}`,
        NATS_SUBJECT_PREFIX: subjectPrefix,
        NATS_EVENTS_STREAM: stream,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await testApp?.close();
    await broker?.dispose();
  });

  it('should be refused by the broker without them (the set-up is real)', async () => {
    await expect(connect({ servers: broker.url, reconnect: false })).rejects.toThrow(
      'Authorization Violation',
    );
  });

  it('should answer requests and publish its events, logged in with them', async () => {
    const client = new ImageClient({
      nats: { servers: broker.url, user: USER, pass: PASSWORD },
      subjectPrefix,
    });
    try {
      const created = await testApp
        .http()
        .post('/api/image')
        .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
        .send({ path: 'nats/credentials.png', facet: 'Cover' })
        .expect(201);
      const id = (created.body as { image: { image_id: number } }).image.image_id;
      expect(await client.show(id)).toEqual({ image: created.body.image });
      const connection = await connect({ servers: broker.url, user: USER, pass: PASSWORD });
      try {
        const manager = await connection.jetstreamManager();
        const deadline = Date.now() + 15_000;
        let messages = 0;
        while (messages < 1 && Date.now() < deadline) {
          messages = await manager.streams.info(stream).then(
            (info) => info.state.messages,
            () => 0,
          );
          if (messages < 1) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(messages).toBe(1);
      } finally {
        await connection.close();
      }
    } finally {
      await client.close();
    }
  }, 60_000);
});
