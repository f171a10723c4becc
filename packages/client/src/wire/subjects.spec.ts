import {
  imageEventsWildcardSubject,
  imageEventSubject,
  joinSubject,
  normalizeSubjectPrefix,
  subjectMatches,
} from './subjects';

describe('subject prefixes', () => {
  it.each([
    [undefined, 'image.list', 'image.list'],
    ['', 'image.list', 'image.list'],
    ['msvc', 'image.list', 'msvc.image.list'],
    ['msvc.', 'image.list', 'msvc.image.list'],
    ['team.staging', 'images.events.>', 'team.staging.images.events.>'],
  ])('should join the prefix %p and %p as %p', (prefix, subject, joined) => {
    expect(joinSubject(prefix, subject)).toBe(joined);
  });

  it('should build the events wildcard of a prefix without its dot (msvc → msvc.images.events.>)', () => {
    expect(imageEventsWildcardSubject('msvc')).toBe('msvc.images.events.>');
    expect(imageEventsWildcardSubject(undefined)).toBe('images.events.>');
    expect(imageEventSubject('msvc', 'image.force_deleted')).toBe(
      'msvc.images.events.force_deleted',
    );
  });

  it.each(['msvc..', '.msvc', 'a b', 'msvc.*', 'msvc.>', 'a..b'])(
    'should refuse the prefix %p',
    (prefix) => {
      expect(() => normalizeSubjectPrefix(prefix)).toThrow(
        `A subject prefix is dot-separated tokens of letters, digits, _ or - such as "staging" (got "${prefix}")`,
      );
    },
  );
});

describe('subjectMatches', () => {
  it.each([
    ['a.b.>', 'a.b.c', true],
    ['a.b.>', 'a.b.c.d', true],
    ['a.b.>', 'a.b', false],
    ['a.*.c', 'a.x.c', true],
    ['a.*.c', 'a.x.d', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
  ])('should match %p against %p: %p', (pattern, subject, matches) => {
    expect(subjectMatches(pattern, subject)).toBe(matches);
  });
});
