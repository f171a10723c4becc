import type { EntityManager } from 'typeorm';
import { renderTimestamp } from '../database/timestamps';
import type { DomainEventType, ImageEvent, NewImageEvent } from './image-event';
import { ImageEventOutboxRow } from './image-event-outbox.entity';

/** An event as stored in the outbox, turned back into the event that is published. */
export function toImageEvent(row: ImageEventOutboxRow): ImageEvent {
  return publishedEvent(row, JSON.parse(row.payload) as ImageEvent['data']);
}

/** The published event of an outbox row's columns and its payload's data. */
function publishedEvent(
  row: Pick<
    ImageEventOutboxRow,
    'outboxId' | 'eventId' | 'eventType' | 'imageId' | 'actor' | 'occurredAt'
  >,
  data: ImageEvent['data'],
): ImageEvent {
  // The type and its payload were written together (`insertOutboxEvent`): they match.
  return {
    id: row.eventId,
    type: row.eventType as DomainEventType,
    sequence: Number(row.outboxId),
    image_id: Number(row.imageId),
    actor: row.actor,
    occurred_at: renderTimestamp(row.occurredAt) as string,
    data,
  } as ImageEvent;
}

/** What `insertOutboxEvent` needs of the write's transaction (a `WriteTransaction`). */
export interface OutboxWriter {
  /** Runs an `INSERT` of one row; resolves to its generated id. */
  insert(sql: string, parameters: readonly unknown[]): Promise<number>;
}

const INSERT_EVENT =
  'INSERT INTO image_event_outbox (event_id, event_type, image_id, actor, occurred_at, payload, published_at) VALUES (?, ?, ?, ?, ?, ?, NULL)';

/**
 * Writes an event to the outbox in `transaction`, the transaction of the change it describes: the
 * event commits or rolls back with it. Returns the event as it will be published.
 */
export async function insertOutboxEvent(
  transaction: OutboxWriter,
  event: NewImageEvent,
): Promise<ImageEvent> {
  const outboxId = await transaction.insert(INSERT_EVENT, [
    event.id,
    event.type,
    event.imageId,
    event.actor,
    event.occurredAt,
    JSON.stringify(event.data),
  ]);
  // Its data as the listeners get it: JSON values, the same after the stored round trip.
  return publishedEvent(
    {
      outboxId,
      eventId: event.id,
      eventType: event.type,
      imageId: event.imageId,
      actor: event.actor,
      occurredAt: event.occurredAt,
    },
    event.data,
  );
}

/** The oldest unpublished events, in outbox order. */
export function findPendingOutboxEvents(
  manager: EntityManager,
  limit: number,
): Promise<ImageEventOutboxRow[]> {
  return manager
    .createQueryBuilder(ImageEventOutboxRow, 'outbox')
    .where('outbox.publishedAt IS NULL')
    .orderBy('outbox.outboxId', 'ASC')
    .limit(limit)
    .getMany();
}

export async function markOutboxEventsPublished(
  manager: EntityManager,
  outboxIds: readonly number[],
  now: string,
): Promise<void> {
  if (outboxIds.length === 0) return;
  await manager
    .createQueryBuilder()
    .update(ImageEventOutboxRow)
    .set({ publishedAt: now })
    .where('outbox_id IN (:...ids)', { ids: outboxIds })
    .execute();
}

/** Removes events published before `cutoff` (the outbox is not an archive). */
export async function purgePublishedOutboxEvents(
  manager: EntityManager,
  cutoff: string,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .delete()
    .from(ImageEventOutboxRow)
    .where('published_at IS NOT NULL AND published_at < :cutoff', { cutoff })
    .execute();
}

/** How many events wait to be published, and when the oldest of them occurred (null: none). */
export async function pendingOutboxSummary(
  manager: EntityManager,
): Promise<{ count: number; oldestOccurredAt: string | null }> {
  const row = await manager
    .createQueryBuilder(ImageEventOutboxRow, 'outbox')
    .select('COUNT(*)', 'count')
    .addSelect('MIN(outbox.occurredAt)', 'oldest')
    .where('outbox.publishedAt IS NULL')
    .getRawOne<{ count: number | string; oldest: string | null }>();
  return { count: Number(row?.count ?? 0), oldestOccurredAt: row?.oldest ?? null };
}
