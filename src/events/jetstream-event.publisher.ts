import { Logger } from '@nestjs/common';
import {
  connect,
  JetStreamClient,
  nanos,
  NatsConnection,
  NatsError,
  StorageType,
  StringCodec,
} from 'nats';
import type { MessagingConfig } from '../config/messaging-config';
import { IMAGE_EVENT_SUBJECT_ROOT, ImageEvent, imageEventSubject } from './image-event';

/** Where the relay publishes events; a test can stand in its own. */
export interface ImageEventPublisher {
  /** Connects (once) and makes sure the stream exists; throws while the broker is unreachable. */
  ready(): Promise<void>;
  /** Publishes one event, resolving once the broker has stored it. */
  publish(event: ImageEvent): Promise<void>;
  close(): Promise<void>;
}

/** JetStream's duplicate window: a message id seen within it is stored only once. */
export const EVENTS_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
const STREAM_NOT_FOUND = 10059;
const PUBLISH_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Publishes events to NATS JetStream, on `<prefix>images.events.<type>`, into the stream
 * `NATS_EVENTS_STREAM` (created when missing, file storage, a 2-minute duplicate window), with the
 * event id as the message id (`Nats-Msg-Id`). Once connected, the NATS client reconnects by
 * itself; while it is disconnected `publish` fails at once, so the relay backs off instead of
 * piling up publishes.
 */
export class JetStreamEventPublisher implements ImageEventPublisher {
  private readonly logger = new Logger('OutboxRelay');
  private readonly codec = StringCodec();
  private connection?: NatsConnection;
  private jetStream?: JetStreamClient;
  private connected = false;
  private connecting?: Promise<void>;

  constructor(
    private readonly servers: readonly string[],
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
    await this.jetStream!.publish(
      imageEventSubject(this.messaging.subjectPrefix, event.type),
      this.codec.encode(JSON.stringify(event)),
      {
        msgID: event.id,
        expect: { streamName: this.messaging.eventsStream },
        timeout: PUBLISH_TIMEOUT_MS,
      },
    );
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
      servers: [...this.servers],
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
    try {
      await manager.streams.info(name);
    } catch (error) {
      if ((error as NatsError).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
      await manager.streams.add({
        name,
        subjects: [`${this.messaging.subjectPrefix}${IMAGE_EVENT_SUBJECT_ROOT}.>`],
        storage: StorageType.File,
        duplicate_window: nanos(EVENTS_DUPLICATE_WINDOW_MS),
      });
      this.logger.log(`Created the JetStream stream ${name}`);
    }
  }

  private async followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (this.connection !== connection) return;
      const type = String(status.type);
      if (type === 'disconnect') this.connected = false;
      if (type === 'reconnect') this.connected = true;
    }
  }
}
