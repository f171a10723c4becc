/**
 * `@image-api/client`: the typed client of the Image API over NATS (or TCP), the event consumer,
 * and the wire types the service itself is built on. The NestJS module is
 * `@image-api/client/nest`.
 */
export {
  createImageClient,
  DEFAULT_TIMEOUT_MS,
  ImageClient,
  type CallOptions,
  type ConditionalCallOptions,
  type IdempotentCallOptions,
  type ImageClientNatsOptions,
  type ImageClientOptions,
  type ImageClientTcpOptions,
} from './image-client';
export {
  errorOfReply,
  ImageClientError,
  ImageClientUnavailableError,
  isRetryableImageClientError,
} from './errors';
export { retry, type RetryOptions } from './retry';
export { pageQueryOfLink, toWireQuery } from './query-serializer';
export type { BackoffOptions, ImageClientLogger } from './backoff';
export type { NatsConnectionOptions } from './transport/nats-connection';
export type { TcpTransportOptions } from './transport/tcp.transport';
export {
  consumeImageEvents,
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_SUBJECT_ROOT,
  ImageEventConsumer,
  type EventContext,
  type EventStartPosition,
  type ImageEventConsumerOptions,
  type ImageEventHandler,
} from './events/image-event-consumer';
export * from './wire/errors';
export * from './wire/events';
export * from './wire/messages';
export * from './wire/pivots';
export * from './wire/query';
export * from './wire/resources';
export * from './wire/subjects';
