import { InitialSchema1732700000000 } from './1732700000000-initial-schema';
import { ChangeVersions1732900000000 } from './1732900000000-change-versions';
import { ImageEventOutbox1733000000000 } from './1733000000000-image-event-outbox';
import { StorageDeletions1733600000000 } from './1733600000000-storage-deletions';
import { ReplicaHeartbeat1733700000000 } from './1733700000000-replica-heartbeat';
import { IdempotencyKeys1733800000000 } from './1733800000000-idempotency-keys';
import { PivotSortIndexes1733900000000 } from './1733900000000-pivot-sort-indexes';
import { StorageDeletionsPath1734000000000 } from './1734000000000-storage-deletions-path';

/** Every migration, in order. Listed as classes so the same list works from `src` and `dist`. */
export const MIGRATIONS = [
  InitialSchema1732700000000,
  ChangeVersions1732900000000,
  ImageEventOutbox1733000000000,
  StorageDeletions1733600000000,
  ReplicaHeartbeat1733700000000,
  IdempotencyKeys1733800000000,
  PivotSortIndexes1733900000000,
  StorageDeletionsPath1734000000000,
];
