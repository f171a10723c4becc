import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { Permission } from '../src/auth/permissions';
import { insertImageRow, readImageRow } from './helpers/image-rows';
import { describeEachDatabase } from './helpers/test-app';
import { bearer, tokenWith } from './helpers/tokens';

/**
 * Whatever JSON body a client with every write permission sends to the write routes (any depth,
 * any size up to the limit, any Unicode (lone surrogates too), any key names, `__proto__`
 * included), the answer is never a 5xx: a 2xx whose stored row is exactly what was answered, or a
 * 4xx in the contract's shape (API.md sections 7 and 10). Issue 19 found a 500 at 2,500 levels.
 */

/** Kept moderate so the suite stays fast; raise BODY_FUZZ_RUNS for a deeper local hunt. */
const RUNS = Number(process.env.BODY_FUZZ_RUNS ?? 120);

const KEYS = fc.oneof(
  fc.constantFrom('path', 'facet', '__proto__', 'constructor', 'prototype', 'image_id', ''),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Strings of every kind: any code unit (lone surrogates too), control characters, `%`, long runs. */
const STRINGS = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.stringMatching(/^[a-z0-9/._%?#\\-]{1,40}$/),
  fc.constantFrom('😀'.repeat(255), '😀'.repeat(256), 'a'.repeat(255), '\u0085', '..', 'Cover'),
  fc.integer({ min: 1, max: 200_000 }).map((length) => 'x'.repeat(length)),
);

const SCALARS = fc.oneof(
  STRINGS,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, 1, 2, 3, -1, 2 ** 53, 1e308, true, false, null),
);

/** JSON values nested up to 40 levels (past the 32-level limit), with odd keys. */
const VALUES = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    SCALARS,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(KEYS, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A body as text: an object shaped like a write body, any JSON, a deep chain, or broken JSON. */
const BODIES = fc.oneof(
  fc
    .record(
      { path: fc.oneof(STRINGS, VALUES), facet: fc.oneof(SCALARS, VALUES), extra: VALUES },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  VALUES.map((value) => JSON.stringify(value) ?? 'null'),
  fc
    .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('[', '{"a":'), STRINGS)
    .map(([depth, opener, leaf]) => {
      const closer = opener === '[' ? ']' : '}';
      return `${opener.repeat(depth)}${JSON.stringify(leaf)}${closer.repeat(depth)}`;
    }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

function assertNoServerError(response: Response, body: string): void {
  const context = `${response.status} for ${body.slice(0, 200)}: ${response.text.slice(0, 300)}`;
  assert.ok(response.status < 500, context);
  assert.ok(response.headers['request-id'], context);
  const text = response.text;
  assert.doesNotMatch(text, /\bat .*\.(js|ts):\d+|SQL|sqlite|mysql|ER_[A-Z_]+/i, context);
  if (response.status >= 400) {
    const { message, errors, ...rest } = response.body as {
      message: unknown;
      errors?: unknown;
    };
    assert.deepEqual(rest, {}, context);
    assert.equal(typeof message, 'string', context);
    if (errors !== undefined) {
      for (const messages of Object.values(errors as Record<string, unknown>)) {
        assert.ok(Array.isArray(messages) && messages.every((m) => typeof m === 'string'), context);
      }
    }
  }
}

describeEachDatabase('any JSON body on the write routes', (context) => {
  const auth = () =>
    bearer(tokenWith(Permission.CreateImage, Permission.UpdateImage, Permission.DeleteImage));

  it('should never answer POST /api/image with a 5xx, and store exactly what a 201 says', async () => {
    await fc.assert(
      fc.asyncProperty(BODIES, async (body) => {
        const response = await context()
          .http()
          .post('/api/image')
          .set('Authorization', auth())
          .set('Content-Type', 'application/json')
          .send(body);
        assertNoServerError(response, body);
        if (response.status === 201) {
          const image = (response.body as { image: { image_id: number; path: string } }).image;
          const row = await readImageRow(context().dataSource, image.image_id);
          assert.equal(row?.path, image.path, body.slice(0, 200));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should never answer PUT or PATCH /api/image/:id with a 5xx', async () => {
    const row = await insertImageRow(context().dataSource);
    await fc.assert(
      fc.asyncProperty(BODIES, fc.constantFrom('put', 'patch'), async (body, method) => {
        const response = await context()
          .http()
          [method](`/api/image/${row.image_id}`)
          .set('Authorization', auth())
          .set('Content-Type', 'application/json')
          .send(body);
        assertNoServerError(response, body);
        if (response.status === 200) {
          const image = (response.body as { image: { path: string } }).image;
          const stored = await readImageRow(context().dataSource, row.image_id);
          assert.equal(stored?.path, image.path, body.slice(0, 200));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('should answer a body of 1 MB and one byte with 413, and one just under with no 5xx', async () => {
    const limit = 1024 * 1024;
    const over = `{"path":"${'a'.repeat(limit)}","facet":1}`;
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', auth())
      .set('Content-Type', 'application/json')
      .send(over)
      .expect(413);
    expect(response.body).toEqual({ message: 'The request body is larger than 1 MB.' });
    const under = `{"path":"${'a'.repeat(limit - 30)}","facet":1}`;
    assertNoServerError(
      await context()
        .http()
        .post('/api/image')
        .set('Authorization', auth())
        .set('Content-Type', 'application/json')
        .send(under),
      under,
    );
  });
});
