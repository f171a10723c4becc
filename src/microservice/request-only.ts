import { Logger } from '@nestjs/common';
import { ServerTCP } from '@nestjs/microservices';

/**
 * What a listener does with an event (a message that expects no reply: a TCP packet without an
 * `id`, a NATS message without a reply subject): the patterns answer requests only, so it is
 * dropped with a warning. Nest would run the handler (a write included) and answer no one, so
 * the sender could not tell whether anything happened.
 */
export function dropEvent(logger: Pick<Logger, 'warn'>, pattern: string): Promise<void> {
  logger.warn(`A message for "${pattern}" expects no reply and was dropped: send a request`);
  return Promise.resolve();
}

/** Nest's TCP listener, answering requests only (`dropEvent`). */
export class RequestOnlyTcpServer extends ServerTCP {
  override handleEvent(pattern: string): Promise<void> {
    return dropEvent(this.logger, pattern);
  }
}

const MAX_ECHOED_MESSAGE = 1000;

/**
 * A reply that fits where the one built did not (a NATS reply over the server's `max_payload`: an
 * error that echoes a huge value, a very large page): the error's status with its message
 * shortened, or a 413 for an answer that was too large.
 */
export function shortenedReply(response: { err?: unknown; response?: unknown }): object {
  const err = response.err as { status?: unknown; message?: unknown } | null | undefined;
  if (typeof err === 'object' && err !== null) {
    const message = String(err.message);
    return {
      err: {
        status: err.status,
        message:
          message.length > MAX_ECHOED_MESSAGE
            ? `${message.slice(0, MAX_ECHOED_MESSAGE)}… (shortened: the whole reply was too large to send)`
            : message,
      },
      isDisposed: true,
    };
  }
  return {
    err: {
      status: 413,
      message:
        'The reply is larger than the message broker accepts: ask for less (fewer rows, fields or includes).',
    },
    isDisposed: true,
  };
}
