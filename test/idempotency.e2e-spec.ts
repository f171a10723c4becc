import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { Permission } from '../src/auth/permissions';
import { pngFile, gifFile } from '../src/storage/testing/image-files';
import { multipartForm } from '../src/storage/testing/multipart-form';
import { countRows } from './helpers/image-rows';
import { listenOnFreePort } from './helpers/ports';
import { describeEachDatabase } from './helpers/test-app';
import { signTestToken, tokenWith } from './helpers/tokens';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const REUSED = {
  message: 'The Idempotency-Key has already been used with another request.',
  errors: {
    'Idempotency-Key': ['The Idempotency-Key has already been used with another request.'],
  },
};
const INVALID = {
  message: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
  errors: {
    'Idempotency-Key': ['The Idempotency-Key header must be 1 to 255 printable ASCII characters.'],
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `Idempotency-Key` on `POST /api/image` (API.md section 10), on each database: a retry with the
 * same key and body gets the first answer (status, body, Location) and writes nothing, also after
 * its client was cut off, also when the retries race; another body is a 422; keys are per `sub` and
 * kept 24 h. The database is checked after each: images, outbox events, recorded keys.
 */
describeEachDatabase('Idempotency-Key on POST /api/image', (context) => {
  const token = tokenWith(Permission.CreateImage);
  const images = () => countRows(context().dataSource, 'images');
  const events = () => countRows(context().dataSource, 'image_event_outbox');
  const keys = () => countRows(context().dataSource, 'idempotency_keys');
  const create = (body: unknown, key?: string, bearer = token) => {
    const request = context().http().post('/api/image').set('Authorization', `Bearer ${bearer}`);
    if (key !== undefined) request.set('Idempotency-Key', key);
    return request.send(body as object);
  };
  let port = 0;

  beforeAll(async () => {
    port = await listenOnFreePort(context().app);
  });

  it('should answer a retry with the first answer (status, body, Location) and create nothing', async () => {
    const [imagesBefore, eventsBefore] = [await images(), await events()];
    const body = { path: 'idempotency/first.jpg', facet: 'Cover' };
    const first = await create(body, 'retry-1');
    expect(first.status).toBe(201);
    const id = (first.body as { image: { image_id: number } }).image.image_id;
    expect(first.body).toEqual({
      image: {
        image_id: id,
        path: 'idempotency/first.jpg',
        facet: 'Cover',
        link: 'https://animethemes.moe/storage/images/idempotency/first.jpg',
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      },
    });
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    // The same body with its keys in another order is the same request.
    const again = await create({ facet: 'Cover', path: 'idempotency/first.jpg' }, 'retry-1');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['idempotent-replayed']).toBe('true');

    expect(await images()).toBe(imagesBefore + 1);
    expect(await events()).toBe(eventsBefore + 1);
    expect(await keys()).toBeGreaterThanOrEqual(1);
  });

  it('should answer 422 for the same key with another body, and create nothing', async () => {
    await create({ path: 'idempotency/one.jpg', facet: 'Cover' }, 'reused-1').expect(201);
    const before = await images();
    const other = await create({ path: 'idempotency/two.jpg', facet: 'Cover' }, 'reused-1');
    expect(other.status).toBe(422);
    expect(other.body).toEqual(REUSED);
    expect(other.headers.location).toBeUndefined();
    expect(await images()).toBe(before);
    expect(await countRows(context().dataSource, 'images', "path = 'idempotency/two.jpg'")).toBe(0);
  });

  it("should answer no body and {} with a key alike: the fields' 422, nothing recorded", async () => {
    const [imagesBefore, keysBefore] = [await images(), await keys()];
    const required = {
      message: 'The path field is required.',
      errors: {
        path: ['The path field is required.'],
        facet: ['The facet field is required.'],
      },
    };
    const bodiless = await context()
      .http()
      .post('/api/image')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', 'empty-1');
    expect([bodiless.status, bodiless.body]).toEqual([422, required]);
    const empty = await create({}, 'empty-1');
    expect([empty.status, empty.body]).toEqual([422, required]);
    expect([await images(), await keys()]).toEqual([imagesBefore, keysBefore]);
    // A refused request used up nothing: the key still creates.
    await create({ path: 'idempotency/empty-then.jpg', facet: 'Cover' }, 'empty-1').expect(201);
  });

  it('should keep keys per sub: the same key of another user creates its own image', async () => {
    const body = { path: 'idempotency/per-sub.jpg', facet: 'Grill' };
    const mine = await create(body, 'shared-key').expect(201);
    const theirs = await create(
      body,
      'shared-key',
      signTestToken({ sub: 'someone-else', permissions: [Permission.CreateImage] }),
    ).expect(201);
    expect(theirs.body).not.toEqual(mine.body);
    expect(
      await countRows(context().dataSource, 'images', "path = 'idempotency/per-sub.jpg'"),
    ).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
    ['with a tab', 'a\tb'],
  ])('should refuse a key that is %s with 422, creating nothing', async (_case, key) => {
    const before = await images();
    // Sent as raw bytes (an HTTP client would refuse some of these header values itself).
    const body = JSON.stringify({ path: 'idempotency/bad-key.jpg', facet: 'Cover' });
    const answer = await rawPost(
      port,
      [
        'POST /api/image HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `Idempotency-Key: ${key}`,
        'Connection: close',
      ],
      body,
    );
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body)).toEqual(INVALID);
    expect(await images()).toBe(before);
  });

  it('should judge the key after the token (401, 403) and before the body (422 on the key)', async () => {
    const before = await images();
    const tooLong = 'k'.repeat(256);
    await create({ path: 'idempotency/order.jpg', facet: 'Cover' }, tooLong, 'not-a-token').expect(
      401,
    );
    await create(
      { path: 'idempotency/order.jpg', facet: 'Cover' },
      tooLong,
      tokenWith(Permission.DeleteImage),
    ).expect(403);
    const answer = await create({ path: '', facet: 'Nope' }, tooLong).expect(422);
    expect(answer.body).toEqual(INVALID);
    expect(await images()).toBe(before);
  });

  // Found by a probe: Node joined the two lines into the key `a1, a2`, which a later single
  // header of that value replayed.
  it('should answer 422 to two Idempotency-Key lines and create nothing', async () => {
    const before = { images: await images(), keys: await keys() };
    const answer = await context()
      .http()
      .post('/api/image')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', ['two-lines-a1', 'two-lines-a2'] as unknown as string) // two lines
      .send({ path: 'idempotency/two-lines.jpg', facet: 'Cover' })
      .expect(422);
    expect(answer.body).toEqual(INVALID);
    expect({ images: await images(), keys: await keys() }).toEqual(before);
  });

  it('should take a key of 255 printable characters, spaces and symbols included', async () => {
    const key = `${' ~!"#$%&()*+,-./:;<=>?@[\\]^_`{|}'.padEnd(254, 'x')}z`;
    expect(key).toHaveLength(255);
    const first = await create({ path: 'idempotency/long-key.jpg', facet: 'Cover' }, key);
    expect(first.status).toBe(201);
    const again = await create({ path: 'idempotency/long-key.jpg', facet: 'Cover' }, key);
    expect(again.body).toEqual(first.body);
  });

  it('should give the first answer to a retry whose first attempt was cut off after the commit', async () => {
    const before = await images();
    const body = JSON.stringify({ path: 'idempotency/cut-off.jpg', facet: 'Cover' });
    // The first attempt: sent whole, then the client goes away without reading its answer.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      [
        'POST /api/image HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Idempotency-Key: cut-off-1',
        '',
        body,
      ].join('\r\n'),
    );
    const deadline = Date.now() + 10_000;
    while ((await images()) === before && Date.now() < deadline) await sleep(10);
    socket.destroy();
    expect(await images()).toBe(before + 1);
    const [stored] = await context().dataSource.query<{ image_id: number }[]>(
      "SELECT image_id FROM images WHERE path = 'idempotency/cut-off.jpg'",
    );

    const retry = await create(JSON.parse(body), 'cut-off-1');
    expect(retry.status).toBe(201);
    expect((retry.body as { image: { image_id: number } }).image.image_id).toBe(
      Number(stored.image_id),
    );
    expect(retry.headers.location).toMatch(new RegExp(`/api/image/${stored.image_id}$`));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await images()).toBe(before + 1);
  });

  it('should create one image for concurrent requests with one key, all answered alike', async () => {
    const [imagesBefore, eventsBefore] = [await images(), await events()];
    const body = { path: 'idempotency/concurrent.jpg', facet: 'Cover' };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => create(body, 'concurrent-1')),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
    expect(new Set(answers.map((answer) => answer.headers.location)).size).toBe(1);
    expect(await images()).toBe(imagesBefore + 1);
    expect(await events()).toBe(eventsBefore + 1);
  });

  it('should forget a key after 24 h: then the same request creates again', async () => {
    const body = { path: 'idempotency/expired.jpg', facet: 'Cover' };
    const first = await create(body, 'expires-1').expect(201);
    await context().dataSource.query(
      "UPDATE idempotency_keys SET created_at = '2024-01-01 00:00:00.000000'",
    );
    const later = await create(body, 'expires-1').expect(201);
    expect(later.body).not.toEqual(first.body);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(
      await countRows(context().dataSource, 'images', "path = 'idempotency/expired.jpg'"),
    ).toBe(2);
    // The expired record was replaced by the new answer.
    const again = await create(body, 'expires-1').expect(201);
    expect(again.body).toEqual(later.body);
  });

  it('should leave requests without a key as they were: each creates', async () => {
    const before = await images();
    const body = { path: 'idempotency/no-key.jpg', facet: 'Cover' };
    await create(body).expect(201);
    await create(body).expect(201);
    expect(await images()).toBe(before + 2);
  });

  it('should replay a multipart upload retried with the same file and facet, keeping one file', async () => {
    const before = await images();
    const files = () =>
      readdirSync(context().config.storage.directory, { recursive: true }).filter((name) =>
        String(name).startsWith('cover/'),
      ).length;
    const filesBefore = files();
    const form = multipartForm([
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: pngFile(), filename: 'a.png', contentType: 'image/png' },
    ]);
    const send = (parts: { body: Buffer; contentType: string }) =>
      context()
        .http()
        .post('/api/image')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', 'upload-1')
        .set('Content-Type', parts.contentType)
        .send(parts.body);
    const first = await send(form);
    expect(first.status).toBe(201);
    // Another multipart body (another boundary), the same facet and bytes: the same request.
    const again = await send(
      multipartForm([
        { name: 'file', content: pngFile(), filename: 'b.png', contentType: 'image/png' },
        { name: 'facet', value: 'Cover' },
      ]),
    );
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await images()).toBe(before + 1);

    const other = await send(
      multipartForm([
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: gifFile(), filename: 'c.gif', contentType: 'image/gif' },
      ]),
    );
    expect(other.status).toBe(422);
    expect(other.body).toEqual(REUSED);
    expect(await images()).toBe(before + 1);
    // The files of the replayed and the refused attempts were removed again.
    expect(files()).toBe(filesBefore + 1);
  });
});

/** One request over a connection of its own, bytes exactly as given; the answer once closed. */
async function rawPost(
  port: number,
  head: string[],
  body: string,
): Promise<{ status: number; body: string }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    Buffer.concat([Buffer.from([...head, '', ''].join('\r\n'), 'latin1'), Buffer.from(body)]),
  );
  await new Promise((resolve) => socket.once('close', resolve));
  const text = Buffer.concat(chunks).toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
    body: text.slice(headEnd + 4),
  };
}
