import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { failParameter } from './query-error';
import { INVALID_CURSOR_MESSAGE, PAGE_KEY } from './parsers/page.parser';
import { orderTermsFor } from './query-plan';
import type { ParsedQuery, RootResourceSchema } from './query.types';

/**
 * Opaque keyset cursors (`page[cursor]`): the sort-key values of the row a page continues from,
 * and which way, signed with a server secret (HMAC-SHA256) and bound to the query that made them.
 *
 * Token: `base64url(JSON [version, binding, direction, values]) "." base64url(HMAC, 16 bytes)`.
 * The binding is a hash of everything that decides which rows are listed and in what order — the
 * root sort, every filter, the trashed modes, `filter[has]` and the page size — so a cursor replayed
 * with another query is refused (422) instead of silently skipping or repeating rows.
 */

/** A sort-key value as read from a row: ints and enums as numbers, strings, timestamps, or null. */
export type CursorValue = string | number | null;

/**
 * `after`: the rows that follow `values` in the sort order (links.next); `before`: the rows that
 * precede them (links.prev).
 */
export type CursorDirection = 'after' | 'before';

export interface CursorPosition {
  readonly direction: CursorDirection;
  /** One value per ORDER BY term, the primary-key tie-breaker last. */
  readonly values: readonly CursorValue[];
}

const FORMAT_VERSION = 1;
const SIGNATURE_BYTES = 16;
const BINDING_CHARS = 16;

export const CURSOR_ERROR_KEY = `${PAGE_KEY}.cursor`;

export const CURSOR_OTHER_QUERY_MESSAGE =
  'page[cursor] belongs to another query: keep the sort, every filter and page[size] of the page whose links it came from, or start again with page[cursor]= (empty).';

/**
 * What a cursor is bound to, as a short hash: the root's effective order (the sort with its
 * tie-breaker, so `sort=image_id` is the default order), all filters (with their scope, operator,
 * logic, negation and values), the trashed mode of every type, `filter[has]` and the page size.
 * Not `include`, `fields` or the sort of included arrays: they don't move rows between pages.
 */
export function cursorBinding(schema: RootResourceSchema, query: ParsedQuery): string {
  const sort = query.sort[schema.type];
  const order =
    sort === 'random'
      ? sort
      : orderTermsFor(schema, sort).map((term) => `${term.column} ${term.direction}`);
  const canonical = JSON.stringify([
    schema.type,
    order,
    query.filters.map((filter) => [
      filter.scope ?? null,
      filter.field,
      filter.operator,
      filter.logic,
      filter.negated,
      filter.values,
      filter.appliesTo ?? null,
    ]),
    query.trashedByType ?? query.trashed,
    query.has ?? null,
    query.page.size,
  ]);
  return hash('sha256', canonical, 'base64url').slice(0, BINDING_CHARS);
}

function isCursorValue(value: unknown): value is CursorValue {
  return (
    value === null ||
    typeof value === 'string' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** SHA-256 reads its input in blocks of this many bytes (RFC 2104's B). */
const SHA256_BLOCK_BYTES = 64;

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * HMAC-SHA256 (RFC 2104) for one key, as two one-shot `crypto.hash` calls over the key's inner and
 * outer pads: `H((K ^ opad) || H((K ^ ipad) || message))`, the same bytes `createHmac` gives (a
 * test holds the two side by side). Node 20 has no one-shot HMAC, and a cursor page signs three
 * times (the cursor it verifies, the next and the previous): an Hmac object each cost 1.9 µs, this
 * 1.1 µs (docs/PERFORMANCE.md). The pads are kept as latin1 text, one character per byte.
 */
export class Sha256Hmac {
  private readonly innerPad: string;
  private readonly outerPad: string;

  constructor(key: Buffer) {
    const block = Buffer.alloc(SHA256_BLOCK_BYTES);
    (key.length > SHA256_BLOCK_BYTES ? hash('sha256', key, 'buffer') : key).copy(block);
    const pad = (xor: number) => Buffer.from(block.map((byte) => byte ^ xor)).toString('latin1');
    this.innerPad = pad(0x36);
    this.outerPad = pad(0x5c);
  }

  /** The MAC of `message` (UTF-8, as `Hmac.update(string)` reads it). */
  digest(message: string): Buffer {
    // ASCII (every cursor payload) is the same bytes in latin1 as in UTF-8: one string, one buffer.
    const bytes = NON_ASCII.test(message)
      ? Buffer.concat([Buffer.from(this.innerPad, 'latin1'), Buffer.from(message, 'utf8')])
      : Buffer.from(this.innerPad + message, 'latin1');
    const inner = hash('sha256', bytes, 'binary');
    const outer = hash('sha256', Buffer.from(this.outerPad + inner, 'latin1'), 'binary');
    return Buffer.from(outer, 'latin1');
  }
}

/** Signs and verifies cursors with one secret. */
export class CursorCodec {
  private readonly hmac: Sha256Hmac;

  constructor(secret: string) {
    // A key of its own, derived from the secret, so a cursor signature never equals another use's.
    this.hmac = new Sha256Hmac(
      createHmac('sha256', secret).update('image-api page cursor').digest(),
    );
  }

  encode(binding: string, position: CursorPosition): string {
    const payload = Buffer.from(
      JSON.stringify([
        FORMAT_VERSION,
        binding,
        position.direction === 'after' ? 'a' : 'b',
        position.values,
      ]),
    ).toString('base64url');
    return `${payload}.${this.sign(payload).toString('base64url')}`;
  }

  /**
   * The position a cursor holds, when this service signed it for a query with the same `binding`
   * and `arity` sort values; otherwise a 422 at `page.cursor` (tampered or foreign: one message; made
   * for another query: another).
   */
  decode(token: string, binding: string, arity: number): CursorPosition {
    const dot = token.indexOf('.');
    if (dot <= 0) return failParameter(CURSOR_ERROR_KEY, INVALID_CURSOR_MESSAGE);
    const payload = token.slice(0, dot);
    // Compared as text: base64url has several spellings of the same bytes; only ours passes.
    const signature = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.sign(payload).toString('base64url'));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return failParameter(CURSOR_ERROR_KEY, INVALID_CURSOR_MESSAGE);
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return failParameter(CURSOR_ERROR_KEY, INVALID_CURSOR_MESSAGE);
    }
    if (
      !Array.isArray(decoded) ||
      decoded.length !== 4 ||
      decoded[0] !== FORMAT_VERSION ||
      (decoded[2] !== 'a' && decoded[2] !== 'b') ||
      !Array.isArray(decoded[3])
    ) {
      return failParameter(CURSOR_ERROR_KEY, INVALID_CURSOR_MESSAGE);
    }
    const [, madeFor, direction, values] = decoded as [number, unknown, string, unknown[]];
    if (madeFor !== binding) return failParameter(CURSOR_ERROR_KEY, CURSOR_OTHER_QUERY_MESSAGE);
    if (values.length !== arity || !values.every(isCursorValue)) {
      return failParameter(CURSOR_ERROR_KEY, CURSOR_OTHER_QUERY_MESSAGE);
    }
    return { direction: direction === 'a' ? 'after' : 'before', values };
  }

  private sign(payload: string): Buffer {
    return this.hmac.digest(payload).subarray(0, SIGNATURE_BYTES);
  }
}
