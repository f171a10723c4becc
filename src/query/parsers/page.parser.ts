import { failParameter, quote } from '../query-error';
import type { PageLimits } from '../query.types';

export const PAGE_KEY = 'page';
/** Every `page[...]` parameter the list accepts (`cursor`: keyset pagination, a string). */
export type PageParameter = 'size' | 'number' | 'cursor';
export const PAGE_PARAMETERS: readonly PageParameter[] = ['size', 'number', 'cursor'];
/** The `page[...]` parameters that take an integer. */
export type PageIntegerParameter = 'size' | 'number';

/** The highest `page[number]`: keeps `(number − 1) × size` an exact integer and a sane OFFSET. */
export const MAX_PAGE_NUMBER = 2_147_483_647;

/**
 * The longest `page[cursor]` accepted. A cursor carries its sort keys' values: with every image
 * key and a `path` of 255 four-byte characters the service's own are at most about 1,600 characters.
 */
export const MAX_CURSOR_LENGTH = 2048;
/** What a cursor is made of: base64url text and dots; empty asks for the first page. */
const CURSOR_TEXT = /^[A-Za-z0-9_.-]*$/;

/** Whether `parsePageCursor` takes `value` as it is (no 422). */
export function isPlainCursor(value: string): boolean {
  return value.length <= MAX_CURSOR_LENGTH && CURSOR_TEXT.test(value);
}

/** Leading zeros are no digits of the value (`007` is 7), however many there are. */
const POSITIVE_INTEGER = /^0*\d{1,16}$/;

export function isPageParameter(name: string): name is PageParameter {
  return (PAGE_PARAMETERS as readonly string[]).includes(name);
}

/**
 * `page[size]` (1 to `limits.maxSize`) or `page[number]` (1 to MAX_PAGE_NUMBER), written as plain
 * decimal digits; anything else is a 422 at `page.size` / `page.number`.
 */
export function parsePageParameter(
  parameter: PageIntegerParameter,
  value: string,
  limits: PageLimits,
): number {
  const max = parameter === 'size' ? limits.maxSize : MAX_PAGE_NUMBER;
  const parsed = POSITIVE_INTEGER.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 1 && parsed <= max)) {
    failParameter(
      `${PAGE_KEY}.${parameter}`,
      `page[${parameter}] must be an integer from 1 to ${max}; got ${quote(value)}.`,
    );
  }
  return parsed;
}

export const INVALID_CURSOR_MESSAGE =
  'page[cursor] is not a cursor of this service: use the links.next or links.prev of a page as they are, or page[cursor]= (empty) for the first page.';

/** `page[cursor]` and `page[number]` together: a cursor page has no number. */
export const CURSOR_WITH_NUMBER_MESSAGE =
  "page[cursor] can't be combined with page[number]: page by cursor (links.next, links.prev) or by number, not both.";

/** `page[cursor]` with `sort=random`: a random order has no position to continue from. */
export const CURSOR_WITH_RANDOM_MESSAGE =
  "page[cursor] can't page sort=random: a random order has no position to continue from; use page[number].";

/**
 * `page[cursor]`: empty (start keyset pagination at the first page) or an opaque cursor taken from
 * `links.next`/`links.prev`. Only its shape is judged here; its signature and the query it belongs
 * to are checked where it is decoded (`CursorCodec`). Anything else is a 422 at `page.cursor`.
 */
export function parsePageCursor(value: string): string {
  if (!isPlainCursor(value)) failParameter(`${PAGE_KEY}.cursor`, INVALID_CURSOR_MESSAGE);
  return value;
}

/** `page`, `page[foo]` or `page[size][x]`: always a 422. */
export function failPageShape(segments: readonly string[]): never {
  failParameter(
    [PAGE_KEY, ...segments].join('.'),
    'Unknown page parameter: use page[size] with page[number] or page[cursor].',
  );
}
