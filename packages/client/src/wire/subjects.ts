/**
 * How subjects are built from a subject prefix (the service's `NATS_SUBJECT_PREFIX`).
 *
 * A prefix is empty, or dot-separated tokens of letters, digits, `_` and `-`, with or without a
 * final dot: `msvc` and `msvc.` are the same prefix. It joins a subject with exactly one dot:
 * `msvc` + `image.list` → `msvc.image.list`; `msvc` + `images.events.>` → `msvc.images.events.>`.
 */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;

/** The prefix in its joined form: `''`, or ending with one dot (`msvc` → `msvc.`). */
export function normalizeSubjectPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(
      `A subject prefix is dot-separated tokens of letters, digits, _ or - such as "staging" (got "${prefix}")`,
    );
  }
  return prefix.endsWith('.') ? prefix : `${prefix}.`;
}

/** `subject` under `prefix`: `joinSubject('msvc', 'image.list')` → `msvc.image.list`. */
export function joinSubject(prefix: string | undefined, subject: string): string {
  return `${normalizeSubjectPrefix(prefix)}${subject}`;
}

/** The subjects below which the events are published. */
export const IMAGE_EVENTS_SUBJECT_ROOT = 'images.events';

/** The JetStream stream of the events unless the service sets `NATS_EVENTS_STREAM`. */
export const DEFAULT_IMAGE_EVENTS_STREAM = 'IMAGE_EVENTS';

/** Every event subject of a prefix: `msvc` → `msvc.images.events.>` (what the stream captures). */
export function imageEventsWildcardSubject(prefix: string | undefined): string {
  return joinSubject(prefix, `${IMAGE_EVENTS_SUBJECT_ROOT}.>`);
}

/**
 * The subject of one event type: `image.force_deleted` → `<prefix>images.events.force_deleted`
 * (an image event's subject does not repeat the resource); a link's event keeps its resource:
 * `animeimage.attached` → `<prefix>images.events.animeimage.attached`.
 */
export function imageEventSubject(prefix: string | undefined, type: string): string {
  const name = type.startsWith('image.') ? type.slice('image.'.length) : type;
  return joinSubject(prefix, `${IMAGE_EVENTS_SUBJECT_ROOT}.${name}`);
}

/** Whether `subject` is matched by `pattern`, which may use the wildcards `*` and `>`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const patternTokens = pattern.split('.');
  const subjectTokens = subject.split('.');
  for (let index = 0; index < patternTokens.length; index += 1) {
    const token = patternTokens[index];
    if (token === '>') return subjectTokens.length > index;
    if (index >= subjectTokens.length) return false;
    if (token !== '*' && token !== subjectTokens[index]) return false;
  }
  return patternTokens.length === subjectTokens.length;
}
