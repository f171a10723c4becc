import {
  consumeImageEvents,
  ImageEventConsumer,
  type ImageEventConsumerOptions,
} from './image-event-consumer';

/** Port 1: nothing listens, so a consumer that got past its checks would retry for ever. */
const base: ImageEventConsumerOptions = {
  nats: { servers: 'nats://127.0.0.1:1' },
  durableName: 'catalog',
  logger: false,
};

const handler = () => undefined;

describe('ImageEventConsumer options', () => {
  // Found by a probe: these were taken, and the consumer then retried for ever (or misbehaved)
  // where the README says it rejects at once.
  it.each<[string, Partial<ImageEventConsumerOptions>, Error]>([
    [
      'a startAt time that is no date',
      { startAt: { time: 'garbage' } },
      new RangeError('startAt.time must be a valid Date or date text (got "garbage")'),
    ],
    [
      'an Invalid Date',
      { startAt: { time: new Date(Number.NaN) } },
      new RangeError('startAt.time must be a valid Date or date text (got an Invalid Date)'),
    ],
    [
      'a negative start sequence',
      { startAt: { sequence: -5 } },
      new RangeError('startAt.sequence must be an integer, 1 or more (got -5)'),
    ],
    [
      'a start sequence of 0',
      { startAt: { sequence: 0 } },
      new RangeError('startAt.sequence must be an integer, 1 or more (got 0)'),
    ],
    [
      'a fractional start sequence',
      { startAt: { sequence: 1.5 } },
      new RangeError('startAt.sequence must be an integer, 1 or more (got 1.5)'),
    ],
    [
      'a startAt of another shape',
      { startAt: 'oldest' as never },
      new TypeError(`startAt must be 'new', 'all', {sequence} or {time} (got "oldest")`),
    ],
    [
      'maxDeliver 0',
      { maxDeliver: 0 },
      new RangeError('maxDeliver must be an integer, 1 or more (got 0)'),
    ],
    [
      'a negative maxDeliver',
      { maxDeliver: -1 },
      new RangeError('maxDeliver must be an integer, 1 or more (got -1)'),
    ],
    [
      'a fractional maxDeliver',
      { maxDeliver: 2.5 },
      new RangeError('maxDeliver must be an integer, 1 or more (got 2.5)'),
    ],
    [
      'ackWaitMs NaN',
      { ackWaitMs: Number.NaN },
      new RangeError('ackWaitMs must be an integer, from 500 to 2147483647 (got NaN)'),
    ],
    [
      'ackWaitMs below 500',
      { ackWaitMs: 499 },
      new RangeError('ackWaitMs must be an integer, from 500 to 2147483647 (got 499)'),
    ],
    [
      'ackWaitMs as text',
      { ackWaitMs: '1000' as never },
      new RangeError('ackWaitMs must be an integer, from 500 to 2147483647 (got "1000")'),
    ],
    [
      'batchSize 0',
      { batchSize: 0 },
      new RangeError('batchSize must be an integer, 1 or more (got 0)'),
    ],
    [
      'a retry delay below 1',
      { retryDelay: { minDelayMs: 0 } },
      new RangeError('retryDelay.minDelayMs must be an integer, from 1 to 2147483647 (got 0)'),
    ],
    [
      'a retry delay whose minimum is above its maximum',
      { retryDelay: { minDelayMs: 5000, maxDelayMs: 100 } },
      new RangeError(
        'retryDelay.minDelayMs (5000) must not be more than retryDelay.maxDelayMs (100)',
      ),
    ],
    [
      'an empty types list',
      { types: [] },
      new RangeError('types must list one event type or more (leave it out for all)'),
    ],
    [
      'a type the service does not publish',
      { types: ['image.created', 'image.renamed' as never] },
      new TypeError(
        'types: "image.renamed" is no event type (use image.created, image.updated, image.deleted, image.restored, image.force_deleted, animeimage.attached, animeimage.detached, artistimage.attached, artistimage.detached, studioimage.attached, studioimage.detached, playlistimage.attached, playlistimage.detached, artistimage.updated)',
      ),
    ],
    [
      'a stream name JetStream refuses',
      { stream: 'IMAGE.EVENTS' },
      new TypeError('stream must be letters, digits, _ or - (got "IMAGE.EVENTS")'),
    ],
    [
      'a dead-letter stream name JetStream refuses',
      { deadLetter: { stream: 'DEAD LETTERS' } },
      new TypeError(
        'deadLetter.stream must be false or letters, digits, _ or - (got "DEAD LETTERS")',
      ),
    ],
    [
      'a dead-letter subject with a wildcard',
      { deadLetter: { subject: 'dead.>' } },
      new TypeError(
        'deadLetter.subject must be a subject without wildcards or spaces (got "dead.>")',
      ),
    ],
  ])('should refuse %s at once', async (_, options, error) => {
    expect(() => new ImageEventConsumer({ ...base, ...options }, handler)).toThrow(error);
    // The error itself, of its class: the caller's mistake, never retried.
    const rejected: unknown = await consumeImageEvents({ ...base, ...options }, handler).catch(
      (failure: unknown) => failure,
    );
    expect(rejected).toEqual(error);
    expect((rejected as Error).constructor).toBe(error.constructor);
  });

  // Found by a probe: from plain JavaScript a missing handler was taken, and every event went to
  // the dead letters.
  it.each([null, undefined, 'handler'])('should refuse a handler %p at once', async (given) => {
    const rejected: unknown = await consumeImageEvents(base, given as never).catch(
      (failure: unknown) => failure,
    );
    expect(rejected).toEqual(
      new TypeError('consumeImageEvents takes a handler: (event) => Promise<void> | void'),
    );
    expect((rejected as Error).constructor).toBe(TypeError);
  });

  it('should take the options a consumer is documented with', () => {
    const valid: Partial<ImageEventConsumerOptions>[] = [
      { startAt: 'new' },
      { startAt: 'all' },
      { startAt: { sequence: 1 } },
      { startAt: { time: '2024-01-15T12:00:00Z' } },
      { startAt: { time: new Date(Date.UTC(2024, 0, 15)) } },
      { maxDeliver: 1, ackWaitMs: 500, batchSize: 1 },
      { retryDelay: { minDelayMs: 50, maxDelayMs: 50 } },
      { types: ['image.created', 'artistimage.updated'] },
      { stream: 'STAGING_IMAGE_EVENTS', deadLetter: { stream: false, subject: 'dead.catalog' } },
    ];
    for (const options of valid) {
      expect(new ImageEventConsumer({ ...base, ...options }, handler)).toBeInstanceOf(
        ImageEventConsumer,
      );
    }
  });
});
