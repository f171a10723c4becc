import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AckPolicy,
  ConsumerConfig,
  ConsumerMessages,
  DeliverPolicy,
  headers as natsHeaders,
  JetStreamManager,
  JsMsg,
  MsgHdrs,
  nanos,
  NatsConnection,
  PubAck,
  StorageType,
} from 'nats';
import { natsErrorOf } from '../transport/nats-error';
import {
  backoffDelay,
  BackoffOptions,
  describeError,
  ImageClientLogger,
  loggerOf,
  sleep,
} from '../backoff';
import { subjectMatches } from '../wire/subjects';
import { NatsConnectionKeeper, NatsConnectionOptions } from '../transport/nats-connection';
import { IMAGE_EVENT_TYPES, type ImageApiEvent } from '../wire/events';
import { PIVOTS } from '../wire/pivots';
import {
  DEFAULT_IMAGE_EVENTS_STREAM,
  imageEventsWildcardSubject,
  imageEventSubject,
  joinSubject,
} from '../wire/subjects';

/** Where a new durable consumer starts (an existing one resumes where it left off). */
export type EventStartPosition =
  /** Only events published after the consumer is created (the default). */
  | 'new'
  /** Every event the stream still holds. */
  | 'all'
  /** From this stream sequence on (`EventContext.streamSequence` of a message). */
  | { readonly sequence: number }
  /** From the first event stored at or after this instant. */
  | { readonly time: Date | string };

export interface ImageEventConsumerOptions extends NatsConnectionOptions {
  /** The durable consumer: a restarted process resumes after what it acknowledged. */
  readonly durableName: string;
  /** The service's `NATS_EVENTS_STREAM` (default `IMAGE_EVENTS`). */
  readonly stream?: string;
  /** The service's `NATS_SUBJECT_PREFIX` (see `joinSubject`). */
  readonly subjectPrefix?: string;
  /**
   * Only these event types reach the handler (default: all); others are acknowledged unseen. The
   * durable records them (in its description) and refuses a start with other types.
   */
  readonly types?: readonly ImageApiEvent['type'][];
  /** Where a new durable starts (default `'new'`); ignored when the durable exists. */
  readonly startAt?: EventStartPosition;
  /** Deliveries of one event before it goes to the dead-letter subject (an integer ≥ 1, default 5). */
  readonly maxDeliver?: number;
  /** Redelivery delay after a failed handler: 1 s doubling up to 60 s, jittered. */
  readonly retryDelay?: Partial<BackoffOptions>;
  /**
   * How long the broker waits for an acknowledgement before it redelivers an event (whole
   * milliseconds, 500 to 2 147 483 647; default 30 000). A running handler renews it every
   * `ackWaitMs / 2`.
   */
  readonly ackWaitMs?: number;
  /** Events fetched ahead of the handler (an integer ≥ 1, default 20). */
  readonly batchSize?: number;
  readonly deadLetter?: {
    /** Default `<prefix>images.dead_letter.<durableName>`. */
    readonly subject?: string;
    /**
     * The stream that keeps dead letters, created when missing with the subjects
     * `<prefix>images.dead_letter.>` (default `<stream>_DEAD_LETTER`); `false`: the subject is
     * already captured by a stream of yours.
     */
    readonly stream?: string | false;
  };
}

/** What the handler learns about a delivery besides the event. */
export interface EventContext {
  readonly subject: string;
  /** The event's position in the stream (a `startAt: {sequence}` to start again from it). */
  readonly streamSequence: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
}

/** Handles one event; throwing (or rejecting) has it delivered again later. */
export type ImageEventHandler = (event: ImageApiEvent, context: EventContext) => unknown;

/** The headers a dead letter carries besides the event itself. */
export const DEAD_LETTER_HEADERS = {
  stream: 'Image-Api-Stream',
  streamSequence: 'Image-Api-Stream-Sequence',
  subject: 'Image-Api-Subject',
  consumer: 'Image-Api-Consumer',
  deliveries: 'Image-Api-Deliveries',
  error: 'Image-Api-Error',
} as const;

/** Dead letters go below `<prefix>images.dead_letter`, one subject per durable. */
export const DEAD_LETTER_SUBJECT_ROOT = 'images.dead_letter';

const decoder = new TextDecoder();
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
/** JetStream's `JSStreamSubjectOverlapErr`: another stream captures the subjects already. */
const SUBJECTS_OVERLAP = 10065;
const SETUP_RETRY: BackoffOptions = { minDelayMs: 250, maxDelayMs: 5000 };
/** What the description of a durable this package makes starts with; its event types follow. */
const TYPES_DESCRIPTION = '@image-api/client types: ';
/** The types of a durable without a `types` filter. */
const ALL_TYPES = '*';
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** A subject a message can be published on: dot-separated tokens, no wildcard, no white space. */
const SUBJECT_PATTERN = /^[^\s.*>]+(\.[^\s.*>]+)*$/;
const LONGEST_TIMER_MS = 2_147_483_647;
const MIN_ACK_WAIT_MS = 500;
/** Every event type the service publishes (`types` takes only these). */
const EVENT_TYPES: readonly string[] = [
  ...Object.values(IMAGE_EVENT_TYPES),
  ...Object.keys(PIVOTS).flatMap((pivot) => [`${pivot}.attached`, `${pivot}.detached`]),
  'artistimage.updated',
];

/**
 * Follows the Image API's events with a JetStream durable pull consumer:
 * - each event goes to the handler in stream order and is acknowledged once the handler is done;
 * - a handler that throws has the event delivered again after a growing delay (a `nak`), and
 *   after `maxDeliver` deliveries the event is published to the dead-letter subject (with the
 *   `DEAD_LETTER_HEADERS`) and dropped from the consumer;
 * - it rides out broker outages: the connection reconnects forever and consuming resumes where
 *   it stopped; a durable or stream that disappears is set up again (a new durable starts at
 *   `startAt`; the stream is the service's to make again);
 * - it logs when it starts, when it resumes after a failure, and when it stops, with why.
 *
 * Delivery is at least once: deduplicate by `event.id` (and use `sequence` to ignore older
 * events of an image).
 */
export class ImageEventConsumer {
  private readonly logger: ImageClientLogger;
  private readonly keeper: NatsConnectionKeeper;
  private readonly stream: string;
  private readonly filterSubject: string;
  private readonly deadLetterSubject: string;
  private readonly deadLetterStream: string | false;
  /** What a dead-letter stream this consumer creates captures. */
  private readonly deadLetterStreamSubject: string;
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  private readonly retryDelay: BackoffOptions;
  /** The `types` sorted without repeats; empty for all. */
  private readonly types: readonly string[];
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;
  private handled = 0;
  /** When the events stream in use was made (JetStream's `created`): a stream made anew differs. */
  private streamCreated?: string;
  /** The last event taken for handling, and the stream it came from. */
  private taken?: { readonly streamCreated: string | undefined; readonly sequence: number };
  private deadLettered = 0;
  /** Dead-letter publishes that failed in a row (their naks wait longer each time). */
  private deadLetterFailures = 0;
  private started?: { resolve(): void; reject(error: unknown): void };
  private wake?: () => void;
  /** Set around each handler call, so that a `stop()` it makes does not wait for it. */
  private readonly handlerScope = new AsyncLocalStorage<{ running: boolean }>();

  constructor(
    private readonly options: ImageEventConsumerOptions,
    private readonly handler: ImageEventHandler,
  ) {
    checkOptions(options);
    this.logger = loggerOf(options.logger);
    this.keeper = new NatsConnectionKeeper(options, `image-api-events-${options.durableName}`);
    this.stream = options.stream ?? DEFAULT_IMAGE_EVENTS_STREAM;
    this.types = [...new Set(options.types ?? [])].sort();
    this.filterSubject =
      this.types.length === 1
        ? imageEventSubject(options.subjectPrefix, this.types[0])
        : imageEventsWildcardSubject(options.subjectPrefix);
    this.deadLetterSubject =
      options.deadLetter?.subject ??
      joinSubject(options.subjectPrefix, `${DEAD_LETTER_SUBJECT_ROOT}.${options.durableName}`);
    this.deadLetterStreamSubject =
      options.deadLetter?.subject ??
      joinSubject(options.subjectPrefix, `${DEAD_LETTER_SUBJECT_ROOT}.>`);
    this.deadLetterStream =
      options.deadLetter?.stream === undefined
        ? `${this.stream}_DEAD_LETTER`
        : options.deadLetter.stream;
    this.maxDeliver = options.maxDeliver ?? 5;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.retryDelay = { minDelayMs: 1000, maxDelayMs: 60_000, ...options.retryDelay };
  }

  /** The subject dead letters are published on. */
  get deadLetterSubjectName(): string {
    return this.deadLetterSubject;
  }

  /**
   * Starts consuming; resolves once the durable is set up and the first pull is out. While the
   * broker cannot be reached it keeps trying (and logs), so it may take a while; it rejects only
   * if `stop()` is called first or the set-up is refused for good (an existing durable with
   * another filter or other types, a configuration JetStream refuses).
   */
  start(): Promise<void> {
    if (this.loop !== undefined) throw new Error('The consumer is already started.');
    const started = new Promise<void>((resolve, reject) => {
      this.started = { resolve, reject };
    });
    this.loop = this.run();
    return started;
  }

  /**
   * Stops after the event being handled (if any); closes the connection it opened. Called by the
   * handler, it resolves at once (waiting would wait for that handler itself) and the consumer
   * stops once the handler returns.
   */
  stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.stopped ??= this.finish();
    if (this.handlerScope.getStore()?.running === true) {
      this.stopped.catch((error: unknown) =>
        this.logger.error(`${this.name}: could not stop cleanly: ${describeError(error)}`),
      );
      return Promise.resolve();
    }
    return this.stopped;
  }

  private async finish(): Promise<void> {
    // nats.js ends the pull from inside the iterator, which the loop goes on reading until it ends
    // (awaiting `close()` first waited for ever while a handler ran).
    const closing = this.messages?.close();
    await this.loop;
    await closing;
    await this.keeper.close();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let reason = 'stop() was called';
    while (!this.stopping) {
      try {
        const nc = await this.keeper.get();
        const resumed = await this.setUp(nc);
        if (this.stopping) break;
        const consumer = await nc.jetstream().consumers.get(this.stream, this.options.durableName);
        const messages = await consumer.consume({
          max_messages: this.options.batchSize ?? 20,
          // A durable or stream deleted under it ends the pull with an error, and the loop sets them
          // up again: nats.js would otherwise wait, silently, for someone else to re-create them.
          abort_on_missing_resource: true,
        });
        this.messages = messages;
        if (failures > 0) {
          this.logger.log(`${this.name}: consuming again after ${failures} failed attempt(s)`);
        } else {
          this.logger.log(
            `${this.name}: ${resumed ? 'resuming' : 'started'} on ${this.filterSubject}, dead letters to ${this.deadLetterSubject}`,
          );
        }
        failures = 0;
        this.started?.resolve();
        this.started = undefined;
        for await (const message of messages) {
          // Once stopping, what is still buffered is left unacknowledged: the broker sends it again
          // after the ack wait (a nak would have it sent back into this pull until it closed).
          if (!this.stopping) await this.handle(nc, message);
        }
        if (!this.stopping)
          this.logger.warn(`${this.name}: the subscription ended; subscribing again`);
      } catch (error) {
        if (this.stopping) break;
        if (error instanceof ConsumerConfigurationError) {
          reason = error.message;
          this.started?.reject(error);
          this.started = undefined;
          break;
        }
        failures += 1;
        const delay = backoffDelay(failures - 1, SETUP_RETRY);
        if (failures === 1 || failures % 20 === 0) {
          this.logger.warn(
            `${this.name}: cannot consume (${failures}x, next attempt in ${delay} ms): ${describeError(error)}`,
          );
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void sleep(delay).then(resolve);
        });
        this.wake = undefined;
      }
    }
    this.messages = undefined;
    this.started?.reject(new Error(`${this.name} stopped before it started: ${reason}`));
    this.started = undefined;
    this.logger.log(
      `${this.name}: stopped (${reason}) after ${this.handled} event(s), ${this.deadLettered} dead-lettered`,
    );
  }

  private get name(): string {
    return `Image events consumer ${this.stream}/${this.options.durableName}`;
  }

  /** Creates the durable (and the dead-letter stream) if missing; true when the durable existed. */
  private async setUp(nc: NatsConnection): Promise<boolean> {
    const manager = await nc.jetstreamManager();
    // The events stream first: a dead-letter stream made for one that does not exist (a typo in
    // `stream`) was left behind, and its subjects then kept the right one's from being made.
    const streamInfo = await manager.streams.info(this.stream).catch((error: unknown) => {
      if (apiErrorCode(error) !== STREAM_NOT_FOUND) throw error;
      throw new Error(
        `the stream ${this.stream} does not exist (yet): it is the service's NATS_EVENTS_STREAM, made when the service starts`,
      );
    });
    this.streamCreated = streamInfo.created;
    await this.ensureDeadLetterStream(manager);
    try {
      const info = await manager.consumers.info(this.stream, this.options.durableName);
      this.checkDurable(info.config.filter_subject ?? '', info.config.description);
      return true;
    } catch (error) {
      if (apiErrorCode(error) !== CONSUMER_NOT_FOUND) throw error;
    }
    await manager.consumers
      .add(this.stream, this.consumerConfig())
      .catch(refusedForGood(`the durable ${this.options.durableName} cannot be made`));
    return false;
  }

  /** Makes the dead-letter stream when it is missing (and this consumer is to keep it). */
  private async ensureDeadLetterStream(manager: JetStreamManager): Promise<void> {
    if (this.deadLetterStream === false) return;
    const name = this.deadLetterStream;
    const subjects = await manager.streams.info(name).then(
      (info) => info.config.subjects ?? [],
      async (error: unknown) => {
        if (apiErrorCode(error) !== STREAM_NOT_FOUND) throw error;
        const added = await manager.streams
          .add({ name, subjects: [this.deadLetterStreamSubject], storage: StorageType.File })
          .catch((refused: unknown) => {
            if (apiErrorCode(refused) !== SUBJECTS_OVERLAP) {
              return refusedForGood(`the dead-letter stream ${name} cannot be made`)(refused);
            }
            throw new ConsumerConfigurationError(
              `the dead-letter stream ${name} cannot be made: another stream already captures ${this.deadLetterStreamSubject}: name that stream in deadLetter.stream, or delete it`,
            );
          });
        this.logger.log(`${this.name}: created the dead-letter stream ${name}`);
        return added.config.subjects ?? [];
      },
    );
    if (!subjects.some((pattern) => subjectMatches(pattern, this.deadLetterSubject))) {
      throw new ConsumerConfigurationError(
        `the dead-letter stream ${name} does not capture ${this.deadLetterSubject} (its subjects: ${subjects.join(', ')})`,
      );
    }
  }

  /**
   * Refuses an existing durable that filters otherwise: its subject, and the types recorded in its
   * description (with two types or more the subject is the wildcard, which tells nothing).
   */
  private checkDurable(filter: string, description: string | undefined): void {
    const durable = this.options.durableName;
    if (filter !== this.filterSubject) {
      throw new ConsumerConfigurationError(
        `the durable ${durable} exists with the filter "${filter}", not "${this.filterSubject}": delete it or use another durableName`,
      );
    }
    const wanted = this.recordedTypes;
    if (description?.startsWith(TYPES_DESCRIPTION)) {
      const recorded = description.slice(TYPES_DESCRIPTION.length);
      if (recorded !== wanted) {
        throw new ConsumerConfigurationError(
          `the durable ${durable} exists for ${typesLabel(recorded)}, not ${typesLabel(wanted)}: delete it or use another durableName`,
        );
      }
    } else if (this.types.length > 1) {
      // Made before types were recorded, or by hand: it may serve other types, unseen.
      throw new ConsumerConfigurationError(
        `the durable ${durable} exists with no record of its event types (its filter "${filter}" takes them all), not for ${typesLabel(wanted)}: delete it or use another durableName`,
      );
    }
  }

  /** The types as a durable's description records them: sorted, comma-separated, or `*`. */
  private get recordedTypes(): string {
    return this.types.length === 0 ? ALL_TYPES : this.types.join(',');
  }

  /**
   * Where a durable made now starts: at `startAt` the first time; made again after it was deleted
   * under this consumer, at the last event it took (that one may come twice), or at the first
   * event of an events stream made anew. Made at `startAt` again, a durable at `'new'` skipped
   * every event published while it was gone (found by a probe).
   */
  private startPosition(): Partial<ConsumerConfig> {
    const taken = this.taken;
    if (taken === undefined) return this.configuredStart();
    return taken.streamCreated === this.streamCreated
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: taken.sequence }
      : { deliver_policy: DeliverPolicy.All };
  }

  private consumerConfig(): Partial<ConsumerConfig> {
    return {
      durable_name: this.options.durableName,
      description: `${TYPES_DESCRIPTION}${this.recordedTypes}`,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.ackWaitMs),
      // The consumer itself counts deliveries and dead-letters; the broker never drops one.
      max_deliver: -1,
      filter_subject: this.filterSubject,
      ...this.startPosition(),
    };
  }

  private configuredStart(): Partial<ConsumerConfig> {
    const start = this.options.startAt ?? 'new';
    return start === 'new'
      ? { deliver_policy: DeliverPolicy.New }
      : start === 'all'
        ? { deliver_policy: DeliverPolicy.All }
        : 'sequence' in start
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.sequence }
          : {
              deliver_policy: DeliverPolicy.StartTime,
              opt_start_time: new Date(start.time).toISOString(),
            };
  }

  private async handle(nc: NatsConnection, message: JsMsg): Promise<void> {
    this.taken = { streamCreated: this.streamCreated, sequence: message.seq };
    const deliveries = message.info.deliveryCount;
    let event: ImageApiEvent;
    try {
      event = JSON.parse(decoder.decode(message.data)) as ImageApiEvent;
    } catch {
      await this.deadLetter(nc, message, 'the event is not JSON');
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') {
      await this.deadLetter(nc, message, 'the event is not an object with a type');
      return;
    }
    if (this.types.length > 1 && !this.types.includes(event.type)) {
      message.ack();
      return;
    }
    if (deliveries > this.maxDeliver) {
      await this.deadLetter(
        nc,
        message,
        `delivered ${deliveries} times without an acknowledgement`,
      );
      return;
    }
    // A long handler tells the broker it is still working, so the event is not sent again meanwhile.
    const working = setInterval(() => message.working(), this.ackWaitMs / 2);
    const scope = { running: true };
    try {
      await this.handlerScope.run(scope, () =>
        this.handler(event, {
          subject: message.subject,
          streamSequence: message.seq,
          deliveryCount: deliveries,
        }),
      );
    } catch (error) {
      if (deliveries >= this.maxDeliver) {
        await this.deadLetter(nc, message, describeError(error));
      } else {
        const delay = backoffDelay(deliveries - 1, this.retryDelay);
        this.logger.warn(
          `${this.name}: the handler failed on ${event.type} ${event.id} (delivery ${deliveries} of ${this.maxDeliver}, again in ${delay} ms): ${describeError(error)}`,
        );
        message.nak(delay);
      }
      return;
    } finally {
      scope.running = false;
      clearInterval(working);
    }
    message.ack();
    this.handled += 1;
  }

  /** Publishes the event to the dead-letter subject (stored), then drops it from the consumer. */
  private async deadLetter(nc: NatsConnection, message: JsMsg, why: string): Promise<void> {
    const headers = natsHeaders();
    headers.set(DEAD_LETTER_HEADERS.stream, message.info.stream);
    headers.set(DEAD_LETTER_HEADERS.streamSequence, String(message.seq));
    headers.set(DEAD_LETTER_HEADERS.subject, message.subject);
    headers.set(DEAD_LETTER_HEADERS.consumer, this.options.durableName);
    headers.set(DEAD_LETTER_HEADERS.deliveries, String(message.info.deliveryCount));
    headers.set(DEAD_LETTER_HEADERS.error, why.replace(/[\r\n]+/g, ' ').slice(0, 1024));
    // One id per stored message: its redeliveries are deduplicated, while a stream made anew
    // (sequences start again at 1) gives its messages other ids.
    const msgID = `${message.info.stream}:${this.options.durableName}:${message.seq}:${message.info.timestampNanos}`;
    let ack: PubAck;
    try {
      ack = await this.publishDeadLetter(nc, message.data, headers, msgID);
    } catch (error) {
      this.deadLetterFailures += 1;
      const delay = backoffDelay(this.deadLetterFailures - 1, this.retryDelay);
      this.logger.error(
        `${this.name}: could not publish stream sequence ${message.seq} to the dead-letter subject ${this.deadLetterSubject} (${this.deadLetterFailures}x, again in ${delay} ms): ${describeError(error)}`,
      );
      message.nak(delay);
      return;
    }
    this.deadLetterFailures = 0;
    // A duplicate is this very stream message, stored before (a lost `term`, a durable made anew).
    message.term();
    this.deadLettered += 1;
    this.logger.error(
      `${this.name}: moved stream sequence ${message.seq} to ${this.deadLetterSubject}${ack.duplicate ? ' (stored there already)' : ''} after ${message.info.deliveryCount} deliveries: ${why}`,
    );
  }

  /**
   * Publishes a dead letter; when nothing stores the subject (its stream was deleted under this
   * consumer), makes the dead-letter stream again, as the set-up does, and publishes once more.
   */
  private async publishDeadLetter(
    nc: NatsConnection,
    data: Uint8Array,
    headers: MsgHdrs,
    msgID: string,
  ): Promise<PubAck> {
    const publish = () => nc.jetstream().publish(this.deadLetterSubject, data, { headers, msgID });
    try {
      return await publish();
    } catch (error) {
      const noStream = natsErrorOf(error)?.code === '503';
      if (!noStream || this.deadLetterStream === false) throw error;
      await this.ensureDeadLetterStream(await nc.jetstreamManager());
      return publish();
    }
  }
}

/** A set-up that retrying cannot fix. */
class ConsumerConfigurationError extends Error {}

function apiErrorCode(error: unknown): number | undefined {
  return natsErrorOf(error)?.api_error?.err_code;
}

/**
 * Rethrows a JetStream refusal of a configuration (its status 400: a limit reached, a name in use
 * with another configuration) as final, anything else (an outage) as it was.
 */
function refusedForGood(what: string): (error: unknown) => never {
  return (error: unknown) => {
    const refusal = natsErrorOf(error)?.api_error;
    if (refusal?.code === 400) {
      throw new ConsumerConfigurationError(
        `${what}: ${refusal.description} (JetStream error ${refusal.err_code})`,
      );
    }
    throw error;
  };
}

function typesLabel(recorded: string): string {
  return recorded === ALL_TYPES ? 'every event type' : `the types ${recorded}`;
}

/** Refuses, before anything is made, options the broker would refuse or misread. */
function checkOptions(options: ImageEventConsumerOptions): void {
  const { durableName, stream, types, startAt, deadLetter } = options;
  if (typeof durableName !== 'string' || !NAME_PATTERN.test(durableName)) {
    throw new TypeError(`durableName must be letters, digits, _ or - (got "${durableName}")`);
  }
  if (stream !== undefined && (typeof stream !== 'string' || !NAME_PATTERN.test(stream))) {
    throw new TypeError(`stream must be letters, digits, _ or - (got "${stream}")`);
  }
  const deadLetterStream = deadLetter?.stream;
  if (
    deadLetterStream !== undefined &&
    deadLetterStream !== false &&
    (typeof deadLetterStream !== 'string' || !NAME_PATTERN.test(deadLetterStream))
  ) {
    throw new TypeError(
      `deadLetter.stream must be false or letters, digits, _ or - (got "${deadLetterStream}")`,
    );
  }
  const deadLetterSubject = deadLetter?.subject;
  if (
    deadLetterSubject !== undefined &&
    (typeof deadLetterSubject !== 'string' || !SUBJECT_PATTERN.test(deadLetterSubject))
  ) {
    throw new TypeError(
      `deadLetter.subject must be a subject without wildcards or spaces (got "${deadLetterSubject}")`,
    );
  }
  if (types !== undefined) {
    if (!Array.isArray(types) || types.length === 0) {
      throw new RangeError('types must list one event type or more (leave it out for all)');
    }
    for (const type of types as readonly unknown[]) {
      if (typeof type !== 'string' || !EVENT_TYPES.includes(type)) {
        throw new TypeError(
          `types: ${describeValue(type)} is no event type (use ${EVENT_TYPES.join(', ')})`,
        );
      }
    }
  }
  checkStartAt(startAt);
  checkInteger('maxDeliver', options.maxDeliver, 1, Number.MAX_SAFE_INTEGER);
  checkInteger('ackWaitMs', options.ackWaitMs, MIN_ACK_WAIT_MS, LONGEST_TIMER_MS);
  checkInteger('batchSize', options.batchSize, 1, Number.MAX_SAFE_INTEGER);
  const delay = options.retryDelay;
  if (delay !== undefined) {
    checkInteger('retryDelay.minDelayMs', delay.minDelayMs, 1, LONGEST_TIMER_MS);
    checkInteger('retryDelay.maxDelayMs', delay.maxDelayMs, 1, LONGEST_TIMER_MS);
    const min = delay.minDelayMs ?? 1000;
    const max = delay.maxDelayMs ?? 60_000;
    if (min > max) {
      throw new RangeError(
        `retryDelay.minDelayMs (${min}) must not be more than retryDelay.maxDelayMs (${max})`,
      );
    }
  }
}

function checkStartAt(startAt: unknown): void {
  if (startAt === undefined || startAt === 'new' || startAt === 'all') return;
  if (typeof startAt === 'object' && startAt !== null && 'sequence' in startAt) {
    checkInteger('startAt.sequence', startAt.sequence, 1, Number.MAX_SAFE_INTEGER);
    return;
  }
  if (typeof startAt === 'object' && startAt !== null && 'time' in startAt) {
    const { time } = startAt;
    const valid =
      (time instanceof Date || typeof time === 'string') && !Number.isNaN(new Date(time).getTime());
    if (!valid) {
      throw new RangeError(
        `startAt.time must be a valid Date or date text (got ${time instanceof Date ? 'an Invalid Date' : describeValue(time)})`,
      );
    }
    return;
  }
  throw new TypeError(
    `startAt must be 'new', 'all', {sequence} or {time} (got ${describeValue(startAt)})`,
  );
}

/** Leaves `undefined` alone (the default applies); anything else must be an integer in range. */
function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (!(Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be an integer, ${range} (got ${describeValue(value)})`);
  }
}

/** A value as an error message shows it: `-5`, `NaN`, `"1000"`. */
function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** Starts an `ImageEventConsumer`; resolves once it consumes. */
export async function consumeImageEvents(
  options: ImageEventConsumerOptions,
  handler: ImageEventHandler,
): Promise<ImageEventConsumer> {
  // From plain JavaScript a missing handler sent every event to the dead letters (found by a probe).
  if (typeof handler !== 'function') {
    throw new TypeError('consumeImageEvents takes a handler: (event) => Promise<void> | void');
  }
  const consumer = new ImageEventConsumer(options, handler);
  try {
    await consumer.start();
  } catch (error) {
    // Refused for good: its connection goes too (it kept the caller's process alive).
    await consumer.stop();
    throw error;
  }
  return consumer;
}
