import { ValidationFailedError } from '../common/api-error';
import {
  comparableBody,
  idempotencyKeyHash,
  IDEMPOTENCY_MESSAGES,
  parseIdempotencyKey,
  requestFingerprint,
} from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it.each([
    ['a', 'a'],
    ['550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440000'],
    ['with spaces and ~!@#$%^&*()', 'with spaces and ~!@#$%^&*()'],
    ['x'.repeat(255), 'x'.repeat(255)],
  ])('should take %j', (header, key) => {
    expect(parseIdempotencyKey(header)).toBe(key);
  });

  it('should say there is no key when the header is absent', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each([[''], ['x'.repeat(256)], ['clé'], ['tab\there'], ['line\nbreak'], ['\u007f']])(
    'should refuse %j with the 422 of Idempotency-Key',
    (header) => {
      let error: unknown;
      try {
        parseIdempotencyKey(header);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationFailedError);
      expect((error as ValidationFailedError).getResponse()).toEqual({
        message: IDEMPOTENCY_MESSAGES.invalid,
        errors: { 'Idempotency-Key': [IDEMPOTENCY_MESSAGES.invalid] },
      });
    },
  );

  it('should refuse the header sent twice', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow(ValidationFailedError);
  });
});

describe('idempotencyKeyHash', () => {
  it('should keep keys apart per sub, and never join sub and key ambiguously', () => {
    expect(idempotencyKeyHash('alice', 'k')).toBe(idempotencyKeyHash('alice', 'k'));
    expect(idempotencyKeyHash('alice', 'k')).not.toBe(idempotencyKeyHash('bob', 'k'));
    expect(idempotencyKeyHash('a\nb', 'c')).not.toBe(idempotencyKeyHash('a', 'b\nc'));
    expect(idempotencyKeyHash('alice', 'k')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('comparableBody', () => {
  it.each([
    [undefined, {}],
    [null, {}],
    [{}, {}],
    [{ depth: null }, { depth: null }],
    [[], []],
    ['x', 'x'],
  ])('should compare %j as %j', (body, compared) => {
    expect(comparableBody(body)).toEqual(compared);
  });
});

describe('requestFingerprint', () => {
  const fingerprint = (body: unknown) => requestFingerprint('POST', '/api/image', body);

  it('should not care about the order of object keys, at any depth', () => {
    expect(fingerprint({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      fingerprint({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('should tell apart values, array orders, types, routes and methods', () => {
    const base = fingerprint({ path: 'a.jpg', facet: 'Cover' });
    expect(fingerprint({ path: 'b.jpg', facet: 'Cover' })).not.toBe(base);
    expect(fingerprint({ path: 'a.jpg', facet: 1 })).not.toBe(base);
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
    expect(fingerprint('1')).not.toBe(fingerprint(1));
    expect(fingerprint(null)).not.toBe(fingerprint({}));
    expect(requestFingerprint('PUT', '/api/image', { path: 'a.jpg', facet: 'Cover' })).not.toBe(
      base,
    );
    expect(requestFingerprint('POST', '/api/other', { path: 'a.jpg', facet: 'Cover' })).not.toBe(
      base,
    );
  });
});
