import { Injectable, Logger } from '@nestjs/common';
import type { WriteTransaction } from '../database/unit-of-work';
import type { ImageEvent, NewImageEvent } from './image-event';
import { insertOutboxEvent } from './outbox.repository';

export type ImageEventListener = (event: ImageEvent) => void;

/**
 * The in-process side of the events: told about the events of each write once its transaction has
 * committed, it hands them to its listeners (the outbox relay, which wakes up; tests). Listeners
 * run synchronously after the commit, before the response: they must be quick and never throw
 * (an error is logged, not passed on). This is a notification, not a delivery guarantee: a
 * process that dies after the commit never calls it, which is what the outbox is for.
 */
@Injectable()
export class ImageEventNotifier {
  private readonly logger = new Logger('ImageEvents');
  private readonly listeners = new Set<ImageEventListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ImageEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Writes `event` to the outbox in `transaction`: it commits (and is later published) exactly when
   * the change does; the listeners hear of it after the commit.
   */
  async record(transaction: WriteTransaction, event: NewImageEvent): Promise<void> {
    const recorded = await insertOutboxEvent(transaction, event);
    transaction.afterCommit(() => this.committed([recorded]));
  }

  /** The events a committed transaction recorded, in their order. */
  committed(events: readonly ImageEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error(error);
        }
      }
    }
  }
}
