import { NatsContext, TcpContext } from '@nestjs/microservices';
import { headers } from 'nats';
import { messageToken } from './message-permission.guard';

const natsWith = (authorization?: string): NatsContext => {
  const msgHeaders = headers();
  if (authorization !== undefined) msgHeaders.set('Authorization', authorization);
  return new NatsContext(['image.create', msgHeaders]);
};

describe('messageToken', () => {
  it.each([
    ['abc.def.ghi', 'abc.def.ghi'],
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'bearer abc'],
    ['Bearer  abc', undefined],
    ['Bearer abc junk', undefined],
    ['', undefined],
    [42, undefined],
    [undefined, undefined],
  ])('should read the token field %p as %p', (token, expected) => {
    expect(messageToken(new TcpContext([{} as never, 'image.create']), token)).toBe(expected);
  });

  it('should prefer the NATS Authorization header to the token field', () => {
    expect(messageToken(natsWith('Bearer from.header'), 'from.body')).toBe('from.header');
  });

  it('should take only exactly `Bearer <token>` from the header, never falling back', () => {
    expect(messageToken(natsWith('Basic abc'), 'from.body')).toBeUndefined();
    expect(messageToken(natsWith('from.header'), 'from.body')).toBeUndefined();
  });

  it('should read the token field when the message has no Authorization header', () => {
    expect(messageToken(natsWith(), 'from.body')).toBe('from.body');
    expect(messageToken(new NatsContext(['image.create', undefined]), 'Bearer b')).toBe('b');
  });
});
