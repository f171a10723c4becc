import { Logger } from '@nestjs/common';
import { NatsListenerLogger, PrefixedNatsServer } from './prefixed-nats.server';

describe('NatsListenerLogger', () => {
  afterEach(() => jest.restoreAllMocks());

  it('should log a lost broker connection as a warning, and any other error as an error', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const server = new PrefixedNatsServer({ servers: ['nats://127.0.0.1:1'] }, 'x.');
    const logger = (server as unknown as { logger: Logger }).logger;
    expect(logger).toBeInstanceOf(NatsListenerLogger);

    logger.error('NatsError: type: "disconnect", data: "127.0.0.1:4222".');
    logger.error('NatsError: type: "error", data: "permissions violation".');
    expect(warn.mock.calls).toEqual([['NatsError: type: "disconnect", data: "127.0.0.1:4222".']]);
    expect(error.mock.calls.map(([message]) => message as string)).toEqual([
      'NatsError: type: "error", data: "permissions violation".',
    ]);
  });
});
