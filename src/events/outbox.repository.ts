import type { EntityManager } from 'typeorm';
import { renderTimestamp } from '../database/timestamps';
import type { DomainEventType, ImageEvent, NewImageEvent } from './image-event';
import { ImageEventOutboxRow } from './image-event-outbox.entity';

/** An event as stored in the outbox, turned back into the event that is published. */
export function toImageEvent(row: ImageEventOutboxRow): ImageEvent {
  // The type and its payload were written together (`insertOutboxEvent`): they match.
  return {
    id: row.eventId,
    type: row.eventType as DomainEventType,
    sequence: Number(row.outboxId),
    image_id: Number(row.imageId),
    actor: row.actor,
    occurred_at: renderTimestamp(row.occurredAt) as string,
    data: JSON.parse(row.payload) as ImageEvent['data'],
  } as ImageEvent;
}

/**
 * Writes an event to the outbox with `manager`, which must be the transaction of the change it
 * describes: the event commits or rolls back with it. Returns the event as it will be published.
 */
export async function insertOutboxEvent(
  manager: EntityManager,
  event: NewImageEvent,
): Promise<ImageEvent> {
  const row: Omit<ImageEventOutboxRow, 'outboxId'> = {
    eventId: event.id,
    eventType: event.type,
    imageId: event.imageId,
    actor: event.actor,
    occurredAt: event.occurredAt,
    payload: JSON.stringify(event.data),
    publishedAt: null,
  };
  const result = await manager
    .createQueryBuilder()
    .insert()
    .into(ImageEventOutboxRow)
    .values(row)
    .execute();
  const outboxId = Number((result.identifiers[0] as { outboxId: number }).outboxId);
  return toImageEvent({ ...row, outboxId });
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
