import type { DataSource } from 'typeorm';
import { Permission } from '../src/auth/permissions';
import type { ImageEvent } from '../src/events/image-event';
import { ImageEventNotifier } from '../src/events/image-event.notifier';
import { OutboxRelay } from '../src/events/outbox-relay';
import {
  attachEveryRelation,
  countRows,
  ImageRecord,
  insertImageRow,
  OLD_TIMESTAMP,
  readImageRow,
  rendered,
} from './helpers/image-rows';
import { describeEachDatabase } from './helpers/test-app';
import { signTestToken, tokenWith } from './helpers/tokens';

/**
 * The transactional outbox without a broker: every write that changes an image stores exactly one
 * event in the same transaction (none when nothing changed or the write was refused), and
 * in-process listeners hear of it once committed. No NATS_URL: the events stay in the outbox.
 */
const FACETS = ['Small Cover', 'Cover', 'Grill'];
const LINK_BASE = 'https://animethemes.moe/storage/images';

interface OutboxRecord {
  outbox_id: number;
  event_id: string;
  event_type: string;
  image_id: number;
  actor: string;
  occurred_at: string;
  payload: unknown;
  published_at: string | null;
}

async function readOutbox(dataSource: DataSource, afterId = 0): Promise<OutboxRecord[]> {
  const rows: Record<string, unknown>[] = await dataSource.query(
    'SELECT outbox_id, event_id, event_type, image_id, actor, occurred_at, payload, published_at ' +
      'FROM image_event_outbox WHERE outbox_id > ? ORDER BY outbox_id',
    [afterId],
  );
  return rows.map((row) => ({
    outbox_id: Number(row.outbox_id),
    event_id: String(row.event_id),
    event_type: String(row.event_type),
    image_id: Number(row.image_id),
    actor: String(row.actor),
    occurred_at: String(row.occurred_at),
    payload: JSON.parse(String(row.payload)) as unknown,
    published_at: row.published_at === null ? null : (row.published_at as string),
  }));
}

async function lastOutboxId(dataSource: DataSource): Promise<number> {
  const rows: { last: number | string | null }[] = await dataSource.query(
    'SELECT MAX(outbox_id) AS last FROM image_event_outbox',
  );
  return Number(rows[0].last ?? 0);
}

/** An image as events render it: every field, `deleted_at` too. */
function eventImage(record: ImageRecord): Record<string, unknown> {
  return {
    image_id: record.image_id,
    path: record.path,
    facet: FACETS[record.facet],
    link: `${LINK_BASE}/${record.path}`,
    created_at: rendered(record.created_at),
    updated_at: rendered(record.updated_at),
    deleted_at: record.deleted_at === null ? null : rendered(record.deleted_at),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describeEachDatabase('the event outbox (no broker configured)', (context) => {
  let heard: ImageEvent[] = [];
  let unsubscribe: () => void;
  const token = signTestToken({ sub: 'alice' });

  beforeAll(() => {
    unsubscribe = context()
      .app.get(ImageEventNotifier)
      .subscribe((event) => heard.push(event));
  });

  afterAll(() => unsubscribe());

  /**
   * Runs `write` and returns the outbox rows it added, after checking that the in-process
   * listener heard exactly the same events (with the outbox id as `sequence`).
   */
  async function eventsOf(write: () => PromiseLike<unknown>): Promise<OutboxRecord[]> {
    const before = await lastOutboxId(context().dataSource);
    heard = [];
    await write();
    const rows = await readOutbox(context().dataSource, before);
    // Strictly: an undefined field the listener saw would not survive the stored JSON.
    expect(heard).toStrictEqual(
      rows.map((row) => ({
        id: row.event_id,
        type: row.event_type,
        sequence: row.outbox_id,
        image_id: row.image_id,
        actor: row.actor,
        occurred_at: rendered(row.occurred_at),
        data: row.payload,
      })),
    );
    return rows;
  }

  const auth = <T extends { set(name: string, value: string): T }>(request: T): T =>
    request.set('Authorization', `Bearer ${token}`);

  it('should not run the relay without NATS_URL', () => {
    expect(context().app.get(OutboxRelay).isRunning).toBe(false);
  });

  it('should store image.created with the new image, the actor and the creation time', async () => {
    let id = 0;
    const [event, ...others] = await eventsOf(async () => {
      const response = await auth(
        context().http().post('/api/image').send({ path: 'anime/new.jpg', facet: 'Grill' }),
      );
      id = (response as { body: { image: { image_id: number } } }).body.image.image_id;
    });
    const stored = (await readImageRow(context().dataSource, id))!;
    expect(others).toEqual([]);
    expect(event).toEqual({
      outbox_id: expect.any(Number),
      event_id: expect.stringMatching(UUID),
      event_type: 'image.created',
      image_id: id,
      actor: 'alice',
      occurred_at: stored.created_at,
      payload: { image: eventImage(stored) },
      published_at: null,
    });
  });

  it('should store image.updated with each changed field before and after', async () => {
    const image = await insertImageRow(context().dataSource, { path: 'a/old.jpg', facet: 1 });
    const events = await eventsOf(() =>
      auth(
        context()
          .http()
          .patch(`/api/image/${image.image_id}`)
          .send({ path: 'a/new.jpg', facet: 'Grill' })
          .expect(200),
      ),
    );
    const stored = (await readImageRow(context().dataSource, image.image_id))!;
    expect(events).toEqual([
      expect.objectContaining({
        event_type: 'image.updated',
        image_id: image.image_id,
        actor: 'alice',
        occurred_at: stored.updated_at,
        payload: {
          image: eventImage(stored),
          changes: {
            path: { before: 'a/old.jpg', after: 'a/new.jpg' },
            facet: { before: 'Cover', after: 'Grill' },
          },
        },
      }),
    ]);
  });

  it('should name only the fields that changed', async () => {
    const image = await insertImageRow(context().dataSource, { path: 'a/same.jpg', facet: 0 });
    const [event] = await eventsOf(() =>
      auth(
        context()
          .http()
          .put(`/api/image/${image.image_id}`)
          .send({ path: 'a/same.jpg', facet: 'Cover' })
          .expect(200),
      ),
    );
    expect((event.payload as { changes: unknown }).changes).toEqual({
      facet: { before: 'Small Cover', after: 'Cover' },
    });
  });

  it('should store nothing for an update that changes nothing or a restore of a live image', async () => {
    const image = await insertImageRow(context().dataSource);
    const events = await eventsOf(async () => {
      await auth(context().http().patch(`/api/image/${image.image_id}`).send({}).expect(200));
      await auth(
        context()
          .http()
          .patch(`/api/image/${image.image_id}`)
          .send({ path: image.path, facet: 1 })
          .expect(200),
      );
      await auth(context().http().patch(`/api/restore/image/${image.image_id}`).expect(200));
    });
    expect(events).toEqual([]);
  });

  it('should store image.deleted and image.restored with the trash state after each', async () => {
    const image = await insertImageRow(context().dataSource);
    const deleted = await eventsOf(() =>
      auth(context().http().delete(`/api/image/${image.image_id}`).expect(200)),
    );
    const trashed = (await readImageRow(context().dataSource, image.image_id))!;
    expect(deleted).toEqual([
      expect.objectContaining({
        event_type: 'image.deleted',
        occurred_at: trashed.deleted_at,
        payload: { image: eventImage(trashed) },
      }),
    ]);

    const restored = await eventsOf(() =>
      auth(context().http().patch(`/restore/image/${image.image_id}`).expect(200)),
    );
    const live = (await readImageRow(context().dataSource, image.image_id))!;
    expect(live.deleted_at).toBeNull();
    expect(restored).toEqual([
      expect.objectContaining({
        event_type: 'image.restored',
        occurred_at: live.updated_at,
        payload: { image: eventImage(live) },
      }),
    ]);
    expect(restored[0].outbox_id).toBeGreaterThan(deleted[0].outbox_id);
  });

  it('should store image.force_deleted with the image as it was, after its row is gone', async () => {
    const image = await insertImageRow(context().dataSource, { deleted_at: OLD_TIMESTAMP });
    await attachEveryRelation(context().dataSource, image.image_id, 7000 + image.image_id);
    const events = await eventsOf(() =>
      auth(context().http().delete(`/api/forceDelete/image/${image.image_id}`).expect(200)),
    );
    expect(await readImageRow(context().dataSource, image.image_id)).toBeUndefined();
    expect(events).toEqual([
      expect.objectContaining({
        event_type: 'image.force_deleted',
        image_id: image.image_id,
        actor: 'alice',
        payload: { image: eventImage(image) },
      }),
    ]);
  });

  it('should store nothing for refused writes (401, 403, 404, 422)', async () => {
    const image = await insertImageRow(context().dataSource);
    const events = await eventsOf(async () => {
      await context().http().post('/api/image').send({ path: 'x.jpg', facet: 1 }).expect(401);
      await context()
        .http()
        .delete(`/api/image/${image.image_id}`)
        .set('Authorization', `Bearer ${tokenWith(Permission.CreateImage)}`)
        .expect(403);
      await auth(context().http().delete('/api/image/987654321').expect(404));
      await auth(
        context().http().patch(`/api/image/${image.image_id}`).send({ facet: 'Huge' }).expect(422),
      );
    });
    expect(events).toEqual([]);
  });

  it('should not apply a write whose event cannot be stored: one transaction', async () => {
    const { dataSource } = context();
    const image = await insertImageRow(dataSource, { path: 'a/kept.jpg' });
    const outboxRows = await countRows(dataSource, 'image_event_outbox');
    await dataSource.query('ALTER TABLE image_event_outbox RENAME TO image_event_outbox_away');
    try {
      await auth(
        context().http().patch(`/api/image/${image.image_id}`).send({ path: 'a/lost.jpg' }),
      ).expect(500, { message: 'Server Error.' });
      await auth(context().http().post('/api/image').send({ path: 'a/lost.jpg', facet: 1 })).expect(
        500,
      );
    } finally {
      await dataSource.query('ALTER TABLE image_event_outbox_away RENAME TO image_event_outbox');
    }
    expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
    expect(await countRows(dataSource, 'images', "path = 'a/lost.jpg'")).toBe(0);
    expect(await countRows(dataSource, 'image_event_outbox')).toBe(outboxRows);
  });

  it('should keep answering when an in-process listener throws', async () => {
    const remove = context()
      .app.get(ImageEventNotifier)
      .subscribe(() => {
        throw new Error('a broken listener');
      });
    try {
      const events = await eventsOf(() =>
        auth(context().http().post('/api/image').send({ path: 'a/ok.jpg', facet: 1 }).expect(201)),
      );
      expect(events).toHaveLength(1);
    } finally {
      remove();
    }
  });

  it('should leave all 7 events of this file unpublished without a broker', async () => {
    const { dataSource } = context();
    expect(await countRows(dataSource, 'image_event_outbox')).toBe(7);
    expect(await countRows(dataSource, 'image_event_outbox', 'published_at IS NULL')).toBe(7);
  });
});
