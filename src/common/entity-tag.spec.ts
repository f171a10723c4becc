import { createHash } from 'node:crypto';
import { entityTag, ifNoneMatchMatches, isAnyTag } from './entity-tag';

describe('entityTag', () => {
  const parts = [
    '1',
    'https://animethemes.moe/storage/images',
    '42|2026-01-02 03:04:05.000000',
    'list\nhttp://x/api/image?page[size]=5',
    'é✓',
  ];

  it('should be the first 27 base64url characters of SHA-256 over the parts, each ended by a newline', () => {
    // The value the tags were made with before one-shot hashing (a Hash object fed part by part):
    // clients holding a tag keep their 304s across the change.
    expect(entityTag(parts)).toBe('"XUCLwVItQVRh4sy-UKQHUtX44_D"');
    const streamed = createHash('sha256');
    for (const part of parts) streamed.update(part).update('\n');
    expect(entityTag(parts)).toBe(`"${streamed.digest('base64url').slice(0, 27)}"`);
  });

  it('should keep the parts apart (a request URL holds no raw newline)', () => {
    expect(entityTag(['a', 'b'])).not.toBe(entityTag(['ab']));
    expect(entityTag(['a', 'b'])).not.toBe(entityTag(['ab', '']));
  });
});

describe('ifNoneMatchMatches and isAnyTag', () => {
  const tag = '"abc"';

  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['"abc"', true],
    ['W/"abc"', true],
    [' "x", "abc" ', true],
    ['*', true],
    ['"abd"', false],
  ])('If-None-Match %p matches: %p', (header, expected) => {
    expect(ifNoneMatchMatches(header, tag)).toBe(expected);
  });

  it('should take only * as any tag', () => {
    expect([isAnyTag(' * '), isAnyTag('"abc"'), isAnyTag(undefined)]).toEqual([true, false, false]);
  });
});
