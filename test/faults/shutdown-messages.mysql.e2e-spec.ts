import { ImageClient } from '@image-api/client';
import { createConnection } from 'mysql2/promise';
import { Permission } from '../../src/auth/permissions';
import { insertImageRow } from '../helpers/image-rows';
import { stablePort } from '../helpers/ports';
import { ServiceProcess } from '../helpers/service-process';
import { TEST_JWT_SECRET } from '../helpers/test-app';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { deleteStream, TEST_NATS_URL } from '../helpers/messaging';
import { tokenWith } from '../helpers/tokens';
import { DataSource } from 'typeorm';

/**
 * SIGTERM with a write in flight over TCP or NATS (found by black-box probes): Nest's TCP listener
 * closed its sockets at once, so the write committed and its caller heard only that the
 * connection was lost; its NATS listener closed the connection at once, so the write met a closed
 * pool and its caller got no reply. Now both wait for the replies in flight, as HTTP does. The write is held in
 * flight for certain by a row lock the test takes on MariaDB (SQLite has no second writer).
 */

describe.each(['tcp', 'nats'] as const)('SIGTERM with a %s write in flight', (transport) => {
  let database: TestDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
  });

  const subjectPrefix = `shutdown_${process.pid}_${transport}.`;
  const stream = `SHUTDOWN_${process.pid}_${transport.toUpperCase()}`;

  afterAll(async () => {
    await service?.close();
    await database?.drop();
    if (transport === 'nats') await deleteStream(stream);
  });

  it('should answer the write in flight, answer a later request 503, and exit 0', async () => {
    if (database.config.type !== 'mysql') throw new Error('expected a MySQL test database');
    const { username, password, host, port, database: name } = database.config;
    const credentials = password === '' ? username : `${username}:${encodeURIComponent(password)}`;
    const tcpPort = await stablePort();
    const listener: Record<string, string> =
      transport === 'tcp'
        ? { MICROSERVICE_PORT: String(tcpPort) }
        : {
            NATS_URL: TEST_NATS_URL,
            NATS_SUBJECT_PREFIX: subjectPrefix,
            NATS_EVENTS_STREAM: stream,
          };
    const running = new ServiceProcess(`service [${transport} drain]`, await stablePort(), {
      DATABASE_URL: `mysql://${credentials}@${host}:${port}/${name}`,
      DEMO_DATA: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
      ...listener,
      SHUTDOWN_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    });
    service = running;
    await running.ready();

    const dataSource = new DataSource({ ...database.config, entities: [] });
    await dataSource.initialize();
    const image = await insertImageRow(dataSource);
    await dataSource.destroy();

    // A transaction of the test's own holds the image's row: the update waits for it.
    const locker = await createConnection({ host, port, user: username, password, database: name });
    await locker.query('START TRANSACTION');
    await locker.query('SELECT * FROM images WHERE image_id = ? FOR UPDATE', [image.image_id]);

    const client =
      transport === 'tcp'
        ? new ImageClient({ transport: 'tcp', port: tcpPort })
        : new ImageClient({ nats: { servers: TEST_NATS_URL }, subjectPrefix, logger: false });
    const token = tokenWith(Permission.UpdateImage);
    try {
      const inFlight = client.update(token, image.image_id, { facet: 'Grill' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = running.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The listener is closing: a new request is told so (over NATS: nobody listens any more).
      await expect(client.update(token, image.image_id, { facet: 'Cover' })).rejects.toMatchObject({
        status: 503,
      });
      // Long enough for a listener that does not wait to have closed everything.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await locker.query('COMMIT');

      const updated = await inFlight;
      expect(updated.image).toMatchObject({ image_id: image.image_id, facet: 'Grill' });
      expect(await exited).toEqual({ code: 0, signal: null });
      const [rows] = await locker.query('SELECT facet FROM images WHERE image_id = ?', [
        image.image_id,
      ]);
      expect(rows).toEqual([{ facet: 2 }]);
    } finally {
      await locker.end();
      await client.close();
    }
  }, 180_000);
});
