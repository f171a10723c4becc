import { failParameter, quote } from '../query-error';
import type { PageLimits } from '../query.types';

export const PAGE_KEY = 'page';
export type PageParameter = 'size' | 'number';
export const PAGE_PARAMETERS: readonly PageParameter[] = ['size', 'number'];

/** The highest `page[number]`: keeps `(number − 1) × size` an exact integer and a sane OFFSET. */
export const MAX_PAGE_NUMBER = 2_147_483_647;

const POSITIVE_INTEGER = /^\d{1,16}$/;

export function isPageParameter(name: string): name is PageParameter {
  return (PAGE_PARAMETERS as readonly string[]).includes(name);
}

/**
 * `page[size]` (1 to `limits.maxSize`) or `page[number]` (1 to MAX_PAGE_NUMBER), written as plain
 * decimal digits; anything else is a 422 at `page.size` / `page.number`.
 */
export function parsePageParameter(
  parameter: PageParameter,
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

/** `page`, `page[foo]` or `page[size][x]`: always a 422. */
export function failPageShape(segments: readonly string[]): never {
  failParameter(
    [PAGE_KEY, ...segments].join('.'),
    'Unknown page parameter: use page[size] and page[number].',
  );
}
