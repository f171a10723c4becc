import { Column, Entity } from 'typeorm';
import { IdColumn, TimestampColumn } from '../database/columns';

export const IMAGE_EVENT_OUTBOX_TABLE = 'image_event_outbox';

/**
 * One domain event waiting to be published (or published, `published_at` set), written in the
 * transaction of the change it describes. `outbox_id` orders the events: for any one image, a
 * larger id was committed later (writes to one image run one after the other).
 */
@Entity({ name: IMAGE_EVENT_OUTBOX_TABLE })
export class ImageEventOutboxRow {
  @IdColumn('outbox_id')
  outboxId!: number;

  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 32 })
  eventType!: string;

  @Column({ name: 'image_id', type: 'bigint', unsigned: true })
  imageId!: number;

  @Column({ type: 'varchar', length: 255 })
  actor!: string;

  @TimestampColumn('occurred_at')
  occurredAt!: string;

  /** The event's `data`, as JSON. */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ name: 'published_at', type: 'varchar', length: 26, nullable: true })
  publishedAt!: string | null;
}
