import { Logger } from '@nestjs/common';
import {
  IMAGE_EVENT_TYPES,
  imageEventsWildcardSubject,
  imageEventSubject,
  subjectMatches,
} from '@image-api/client';
import {
  connect,
  JetStreamClient,
  JetStreamManager,
  nanos,
  NatsConnection,
  NatsError,
  StorageType,
  StringCodec,
} from 'nats';
import type { MessagingConfig } from '../config/messaging-config';
import type { ImageEvent } from './image-event';

/** Where the relay publishes events; a test can stand in its own. */
export interface ImageEventPublisher {
  /**
   * Connects (once) and makes sure the stream exists and captures the events' subjects; throws
   * while the broker is unreachable, and an `EventStreamMismatchError` when the stream is wrong.
   */
  ready(): Promise<void>;
  /** Publishes one event, resolving once the broker has stored it. */
  publish(event: ImageEvent): Promise<void>;
  /** Calls `listener` whenever the broker connection comes back after a loss; returns the undo. */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * `NATS_SUBJECT_PREFIX` and `NATS_EVENTS_STREAM` do not go together: the stream exists but does not
 * capture the prefix's event subjects, or another stream already does. Start-up stops on it.
 */
export class EventStreamMismatchError extends Error {
  override readonly name = 'EventStreamMismatchError';
}

/** JetStream's duplicate window: a message id seen within it is stored only once. */
export const EVENTS_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
const STREAM_NOT_FOUND = 10059;
const STREAM_SUBJECTS_OVERLAP = 10065;
const PUBLISH_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Publishes events to NATS JetStream, on `<prefix>images.events.<type>`, into the stream
 * `NATS_EVENTS_STREAM` (created when missing, file storage, a 2-minute duplicate window), with the
 * event id as the message id (`Nats-Msg-Id`). The stream must capture the prefix's event subjects
 * (`EventStreamMismatchError` otherwise). Once connected, the NATS client reconnects by itself;
 * while it is disconnected `publish` fails at once, so the relay backs off instead of piling up
 * publishes, and once it is back the `onReconnect` listeners (the relay) are told.
 */
export class JetStreamEventPublisher implements ImageEventPublisher {
  private readonly logger = new Logger('OutboxRelay');
  private readonly codec = StringCodec();
  private connection?: NatsConnection;
  private jetStream?: JetStreamClient;
  private connected = false;
  /** The stream being made again after a failed publish, if it is. */
  private ensuring?: Promise<void>;
  private connecting?: Promise<void>;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(
    private readonly nats: Required<MessagingConfig>['nats'],
    private readonly messaging: Pick<MessagingConfig, 'subjectPrefix' | 'eventsStream' | 'outbox'>,
  ) {}

  ready(): Promise<void> {
    if (this.jetStream !== undefined) {
      if (!this.connected) return Promise.reject(new Error('NATS is disconnected'));
      return Promise.resolve();
    }
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async publish(event: ImageEvent): Promise<void> {
    await this.ready();
    const connection = this.connection!;
    try {
      await this.jetStream!.publish(
        imageEventSubject(this.messaging.subjectPrefix, event.type),
        this.codec.encode(JSON.stringify(event)),
        {
          msgID: event.id,
          expect: { streamName: this.messaging.eventsStream },
          timeout: PUBLISH_TIMEOUT_MS,
        },
      );
    } catch (error) {
      // A stream deleted while the connection stayed up: every publish timed out until a
      // reconnect (found by a probe). Made again here, the relay's next attempt goes through. Not
      // awaited: against a frozen server it took JetStream's own 5 s more, and the broker was
      // reported down after 10 s, not the 5 s of a publish (found by a probe).
      this.ensuring ??= this.ensureStream(connection)
        .catch(() => undefined)
        .finally(() => {
          this.ensuring = undefined;
        });
      throw error;
    }
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.jetStream = undefined;
    this.connected = false;
    if (connection !== undefined && !connection.isClosed()) await connection.close();
  }

  private async connect(): Promise<void> {
    const connection = await connect({
      servers: [...this.nats.servers],
      ...this.nats.auth,
      name: 'image-api-outbox-relay',
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      reconnectTimeWait: Math.min(2000, this.messaging.outbox.retryMaxMs),
    });
    try {
      await this.ensureStream(connection);
    } catch (error) {
      await connection.close();
      throw error;
    }
    this.connection = connection;
    this.jetStream = connection.jetstream();
    this.connected = true;
    void this.followStatus(connection);
    void connection.closed().then(() => {
      // Closed for good (not a reconnect): connect afresh on the next attempt.
      if (this.connection === connection) {
        this.connection = undefined;
        this.jetStream = undefined;
        this.connected = false;
      }
    });
  }

  private async ensureStream(connection: NatsConnection): Promise<void> {
    const manager = await connection.jetstreamManager();
    const name = this.messaging.eventsStream;
    const wildcard = imageEventsWildcardSubject(this.messaging.subjectPrefix);
    const prefix = `NATS_SUBJECT_PREFIX "${this.messaging.subjectPrefix}"`;
    try {
      const captured = (await manager.streams.info(name)).config.subjects ?? [];
      const missed = Object.values(IMAGE_EVENT_TYPES)
        .map((type) => imageEventSubject(this.messaging.subjectPrefix, type))
        .filter((subject) => !captured.some((pattern) => subjectMatches(pattern, subject)));
      if (missed.length > 0) {
        throw new EventStreamMismatchError(
          `The JetStream stream ${name} (NATS_EVENTS_STREAM) captures ${captured.join(', ') || 'no subjects'}, not the events of ${prefix} (${wildcard}): give this prefix a stream of its own with NATS_EVENTS_STREAM (created when missing), or use the stream's prefix`,
        );
      }
    } catch (error) {
      if ((error as NatsError).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
      await this.addStream(manager, name, wildcard, prefix);
    }
  }

  private async addStream(
    manager: JetStreamManager,
    name: string,
    wildcard: string,
    prefix: string,
  ): Promise<void> {
    try {
      await manager.streams.add({
        name,
        subjects: [wildcard],
        storage: StorageType.File,
        duplicate_window: nanos(EVENTS_DUPLICATE_WINDOW_MS),
      });
    } catch (error) {
      if ((error as NatsError).api_error?.err_code !== STREAM_SUBJECTS_OVERLAP) throw error;
      const owner = await manager.streams
        .find(imageEventSubject(this.messaging.subjectPrefix, IMAGE_EVENT_TYPES.created))
        .catch(() => 'another stream');
      throw new EventStreamMismatchError(
        `The JetStream stream ${name} (NATS_EVENTS_STREAM) cannot be created: ${owner} already captures the events of ${prefix} (${wildcard}); set NATS_EVENTS_STREAM=${owner}, or give this deployment another NATS_SUBJECT_PREFIX`,
      );
    }
    this.logger.log(`Created the JetStream stream ${name} on ${wildcard}`);
  }

  private async followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (this.connection !== connection) return;
      const type = String(status.type);
      if (type === 'disconnect') this.connected = false;
      if (type === 'reconnect') void this.reconnected(connection);
    }
  }

  /** Back from an outage: the stream again (a new broker may not have it), then the listeners. */
  private async reconnected(connection: NatsConnection): Promise<void> {
    try {
      await this.ensureStream(connection);
    } catch (error) {
      this.logger.warn(`The event stream is not usable: ${(error as Error).message}`);
    }
    if (this.connection !== connection) return;
    this.connected = true;
    for (const listener of this.reconnectListeners) listener();
  }
}
