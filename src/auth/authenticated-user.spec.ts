import { toAuthenticatedUser } from './authenticated-user';

describe('toAuthenticatedUser', () => {
  const exp = 2_000_000_000;

  it('should take sub and permissions from a complete payload', () => {
    expect(toAuthenticatedUser({ sub: 'alice', exp, permissions: ['create image'] })).toEqual({
      sub: 'alice',
      permissions: ['create image'],
    });
  });

  it('should take a sub of 255 code points, emoji included', () => {
    for (const sub of ['a'.repeat(255), '😀'.repeat(255), `${'😀'.repeat(200)}${'a'.repeat(55)}`]) {
      expect(toAuthenticatedUser({ sub, exp })).toEqual({ sub, permissions: [] });
    }
  });

  it('should treat a missing permissions claim as no permissions', () => {
    expect(toAuthenticatedUser({ sub: 'alice', exp })).toEqual({ sub: 'alice', permissions: [] });
  });

  it.each([
    ['no exp', { sub: 'alice' }],
    ['a string exp', { sub: 'alice', exp: '2000000000' }],
    ['no sub', { exp }],
    ['an empty sub', { sub: '', exp }],
    ['a numeric sub', { sub: 42, exp }],
    ['a sub of 256 characters', { sub: 'a'.repeat(256), exp }],
    ['a sub of 256 emoji (512 UTF-16 units)', { sub: '😀'.repeat(256), exp }],
    ['a sub with a lone surrogate', { sub: 'alice\ud800', exp }],
    ['permissions as a string', { sub: 'a', exp, permissions: 'create image' }],
    ['permissions null', { sub: 'a', exp, permissions: null }],
    ['permissions with a non-string', { sub: 'a', exp, permissions: ['create image', 1] }],
    ['a string payload', 'alice'],
    ['null', null],
  ])('should refuse a payload with %s', (_case, payload) => {
    expect(toAuthenticatedUser(payload)).toBeNull();
  });
});
