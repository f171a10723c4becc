import { MAX_MESSAGES_IN_FLIGHT } from '../src/microservice/request-only';
import {
  errorOfReply,
  ImageClient,
  ImageClientError,
  ImageClientUnavailableError,
  type ImageCreateBody,
  type ImageListQuery,
  type ImageShowQuery,
  type ImageUpdateBody,
} from '@image-api/client';
import { ClientTCP } from '@nestjs/microservices';
import { createConnection } from 'node:net';
import { connect, headers, NatsConnection, StringCodec } from 'nats';
import { firstValueFrom } from 'rxjs';
import { ALL_PERMISSIONS, Permission } from '../src/auth/permissions';
import { seedReadFixtures } from './helpers/fixtures';
import {
  attachEveryRelation,
  countRows,
  insertImageRow,
  OLD_TIMESTAMP,
  pivotCounts,
  readImageRow,
} from './helpers/image-rows';
import {
  Answer,
  deleteStream,
  httpAnswer,
  messageAnswer,
  TEST_NATS_URL,
  uniqueNatsNames,
} from './helpers/messaging';
import { describeEachDatabase } from './helpers/test-app';
import { forgedAuthorizations, tokenWith } from './helpers/tokens';

/**
 * The message patterns against the HTTP routes: the same input, sent over TCP and over NATS
 * (through the typed client of `@image-api/client`), must get the same body, or the same status,
 * message and `errors`.
 */
const { subjectPrefix, stream } = uniqueNatsNames();

/** A TCP frame of `packet` (its JSON's length, `#`, the JSON). */
function tcpFrame(packet: unknown): string {
  const json = JSON.stringify(packet);
  return `${json.length}#${json}`;
}

/** Writes `frames` on a new connection to `port` and resolves to the first reply packet. */
async function firstTcpReply(port: number, frames: string[]): Promise<unknown> {
  const socket = createConnection(port, '127.0.0.1');
  try {
    const answer = new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('isDisposed')) resolve(received);
      });
    });
    for (const frame of frames) socket.write(frame);
    const received = await answer;
    return JSON.parse(received.slice(received.indexOf('#') + 1)) as unknown;
  } finally {
    socket.destroy();
  }
}
const PUBLIC_URL = 'http://images.internal:8080';
/** A JSON value `levels` objects deep: `{"a":{"a":…1}}`. */
const deep = (levels: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = { a: value };
  return value;
};
const MISSING_ID = 987654321;
const codec = StringCodec();

/** An `image.update` packet with its `body` beside `data`, not in it (over NATS and TCP). */
function strayBodyPacket(imageId: number): Record<string, unknown> {
  const token = tokenWith(Permission.UpdateImage);
  return {
    id: 'stray',
    pattern: 'image.update',
    data: { id: imageId, token },
    body: { facet: 'Grill' },
  };
}

/** The reply to `strayBodyPacket`: a 400, whatever the transport. */
const STRAY_BODY_REPLY = {
  id: 'stray',
  err: {
    status: 400,
    message:
      'Malformed message: the packet has the field "body", and a packet carries only id, pattern and data (the message goes in data); image.update takes {token?, id, body?, ifMatch?}.',
  },
  isDisposed: true,
};

/** A Nest request packet as NATS carries it. */
function natsPacket(id: string, pattern: string, data: unknown): Uint8Array {
  return codec.encode(JSON.stringify({ id, pattern, data }));
}

/** A query the types refuse, sent anyway to see the API refuse it as HTTP does. */
const unchecked = (query: object) => query as ImageListQuery & ImageShowQuery;

/** [what, query string as an HTTP client writes it, the same query as an object] */
const LIST_CASES: [string, string, ImageListQuery | undefined][] = [
  ['no query', '', undefined],
  [
    'a facet filter and a page size',
    'filter[facet]=Cover&page[size]=3',
    { filter: { facet: 'Cover' }, page: { size: 3 } },
  ],
  [
    'the second page with includes, sparse fields and a sort',
    'include=anime,artists&fields[image]=image_id,path&sort=-created_at&page[size]=2&page[number]=2',
    {
      include: ['anime', 'artists'],
      fields: { image: ['image_id', 'path'] },
      sort: '-created_at',
      page: { size: 2, number: 2 },
    },
  ],
  [
    'a scoped related filter with has',
    'filter[has]=anime&filter[anime][year]=1998&include=anime',
    { filter: { has: 'anime', anime: { year: 1998 } }, include: 'anime' },
  ],
  [
    'the trash with deleted_at',
    'filter[trashed]=only&fields[image]=image_id,deleted_at',
    { filter: { trashed: 'only' }, fields: { image: ['image_id', 'deleted_at'] } },
  ],
  [
    'a LIKE pattern and a facet name with a space',
    'filter[path-like]=%25cover%25&filter[facet-not]=Large%20Cover',
    { filter: { 'path-like': '%cover%', 'facet-not': 'Large Cover' } },
  ],
  [
    'a date with a time, sorted by it',
    'filter[created_at-gte]=2024-03-05T07:08&sort=created_at',
    { filter: { 'created_at-gte': '2024-03-05T07:08' }, sort: 'created_at' },
  ],
  ['a page past the end', 'page[number]=9', { page: { number: 9 } }],
  ['page[size]=101 (422)', 'page[size]=101', { page: { size: 101 } }],
  ['an unknown parameter (422)', 'limit=5', unchecked({ limit: 5 })],
  [
    'several bad parameters (422 naming each)',
    'include=nope&sort=bogus&filter[facet]=Huge',
    unchecked({ include: 'nope', sort: 'bogus', filter: { facet: 'Huge' } }),
  ],
];

/** [what, id, query string, the same query as an object] */
const SHOW_CASES: [string, number | string, string, ImageShowQuery | undefined][] = [
  [
    'an image with every include',
    1,
    'include=anime,artists,studios,playlists',
    { include: ['anime', 'artists', 'studios', 'playlists'] },
  ],
  [
    'includes narrowed and sorted',
    10,
    'include=anime&filter[anime][year-gte]=2000&sort[anime]=-name',
    { include: 'anime', filter: { anime: { 'year-gte': 2000 } }, sort: { anime: '-name' } },
  ],
  [
    'a soft-deleted image',
    11,
    'fields[image]=image_id,deleted_at',
    { fields: { image: ['image_id', 'deleted_at'] } },
  ],
  ['a missing image (404)', MISSING_ID, '', undefined],
  ['a non-numeric id (404)', 'abc', '', undefined],
  ['page[size] (422)', 1, 'page[size]=1', unchecked({ page: { size: 1 } })],
  [
    'an image-only filter for a missing id (422 before 404)',
    MISSING_ID,
    'filter[facet]=Cover',
    unchecked({ filter: { facet: 'Cover' } }),
  ],
];

type WritePattern = 'create' | 'update' | 'delete' | 'restore' | 'forceDelete';

interface WriteRoute {
  readonly method: 'post' | 'patch' | 'delete';
  readonly url: (id: number | string) => string;
  readonly permission: Permission;
  readonly send: (
    client: ImageClient,
    token: string,
    id: number | string,
    body?: ImageUpdateBody,
  ) => Promise<unknown>;
}

const WRITE_ROUTES: Record<WritePattern, WriteRoute> = {
  create: {
    method: 'post',
    url: () => '/api/image',
    permission: Permission.CreateImage,
    send: (client, token, _id, body) => client.create(token, (body ?? {}) as ImageCreateBody),
  },
  update: {
    method: 'patch',
    url: (id) => `/api/image/${id}`,
    permission: Permission.UpdateImage,
    send: (client, token, id, body) => client.update(token, id, body ?? {}),
  },
  delete: {
    method: 'delete',
    url: (id) => `/api/image/${id}`,
    permission: Permission.DeleteImage,
    send: (client, token, id) => client.delete(token, id),
  },
  restore: {
    method: 'patch',
    url: (id) => `/api/restore/image/${id}`,
    permission: Permission.RestoreImage,
    send: (client, token, id) => client.restore(token, id),
  },
  forceDelete: {
    method: 'delete',
    url: (id) => `/api/forceDelete/image/${id}`,
    permission: Permission.ForceDeleteImage,
    send: (client, token, id) => client.forceDelete(token, id),
  },
};
const WRITE_PATTERNS = Object.keys(WRITE_ROUTES) as WritePattern[];

/** Every permission but `permission`. */
const allBut = (permission: Permission) => ALL_PERMISSIONS.filter((p) => p !== permission);

describeEachDatabase(
  'message patterns over TCP and NATS answer as the HTTP routes do',
  (context) => {
    const clients: Record<'TCP' | 'NATS', ImageClient | undefined> = {
      TCP: undefined,
      NATS: undefined,
    };

    beforeAll(async () => {
      const { listeners, dataSource } = context();
      await seedReadFixtures(dataSource);
      clients.TCP = new ImageClient({ transport: 'tcp', port: listeners.tcp!.port });
      clients.NATS = new ImageClient({ nats: { servers: TEST_NATS_URL }, subjectPrefix });
    });

    afterAll(async () => {
      await clients.TCP?.close();
      await clients.NATS?.close();
    });

    /** The HTTP answer of a write route. */
    function httpWrite(
      route: WriteRoute,
      id: number | string,
      authorization: string | undefined,
      body?: unknown,
    ) {
      let request = context().http()[route.method](route.url(id));
      if (authorization !== undefined) request = request.set('Authorization', authorization);
      return body === undefined ? request : request.send(body as object);
    }

    describe.each(['TCP', 'NATS'] as const)('over %s', (transport) => {
      const client = (): ImageClient => clients[transport]!;

      it.each(LIST_CASES)(
        'should answer image.list with %s as GET /api/image does (object and string form)',
        async (_what, queryString, queryObject) => {
          const expected = httpAnswer(
            await context()
              .http()
              .get(`/api/image${queryString === '' ? '' : `?${queryString}`}`),
          );
          expect(await messageAnswer(client().list(queryObject))).toEqual(expected);
          expect(await messageAnswer(client().list(queryString))).toEqual(expected);
        },
      );

      it('should build absolute pagination links on PUBLIC_URL that keep the query', async () => {
        const reply = await client().list({ filter: { facet: 'Large Cover' }, page: { size: 2 } });
        expect(reply.links).toEqual({
          first: `${PUBLIC_URL}/api/image?filter[facet]=Large%20Cover&page[size]=2&page[number]=1`,
          last: null,
          prev: null,
          next: `${PUBLIC_URL}/api/image?filter[facet]=Large%20Cover&page[size]=2&page[number]=2`,
        });
        expect(reply.meta).toEqual({
          current_page: 1,
          from: 1,
          path: `${PUBLIC_URL}/api/image`,
          per_page: 2,
          to: 2,
        });
      });

      it.each(SHOW_CASES)(
        'should answer image.show of %s as GET /api/image/:id does',
        async (_what, id, queryString, queryObject) => {
          const expected = httpAnswer(
            await context()
              .http()
              .get(`/api/image/${id}${queryString === '' ? '' : `?${queryString}`}`),
          );
          expect(await messageAnswer(client().show(id, queryObject))).toEqual(expected);
          expect(await messageAnswer(client().show(id, queryString))).toEqual(expected);
        },
      );

      describe.each(WRITE_PATTERNS)('image.%s', (pattern) => {
        const route = WRITE_ROUTES[pattern];

        /** The same input over HTTP and as a message must get the same refusal. */
        async function expectSameRefusal(
          token: string | undefined,
          id: number | string,
          body?: ImageUpdateBody | unknown[],
        ): Promise<Answer> {
          const expected = httpAnswer(
            await httpWrite(route, id, token === undefined ? undefined : `Bearer ${token}`, body),
          );
          expect(expected.status).not.toBe('ok');
          const answer = await messageAnswer(
            route.send(client(), token as string, id, body as ImageUpdateBody),
          );
          expect(answer).toEqual(expected);
          return answer;
        }

        it('should answer 401 without a token, before anything else', async () => {
          expect(await expectSameRefusal(undefined, MISSING_ID, { path: '/bad' })).toEqual({
            status: 401,
            body: { message: 'Unauthenticated.' },
          });
        });

        it.each(['alg none', 'wrong key', 'bad signature', 'expired', 'no sub', 'garbage'])(
          'should answer 401 to a forged token (%s)',
          async (name) => {
            const header = forgedAuthorizations()[name];
            const token = header.replace(/^Bearer /, '');
            expect((await expectSameRefusal(token, MISSING_ID)).status).toBe(401);
          },
        );

        it('should answer 403 to a token without the permission, even for a missing id', async () => {
          expect(
            await expectSameRefusal(tokenWith(...allBut(route.permission)), MISSING_ID),
          ).toEqual({ status: 403, body: { message: 'This action is unauthorized.' } });
        });

        if (pattern !== 'create') {
          it.each([MISSING_ID, 'abc'])('should answer 404 for id %s', async (id) => {
            expect(
              await expectSameRefusal(tokenWith(route.permission), id, { path: '/bad' }),
            ).toEqual({ status: 404, body: { message: `Image ${id} not found.` } });
          });
        }
      });

      it('should answer image.create with a body it refuses as POST does (422)', async () => {
        const token = tokenWith(Permission.CreateImage);
        for (const body of [{}, { path: '/abs', facet: 'Huge' }, { path: 'a/../b', facet: 7 }]) {
          const expected = httpAnswer(
            await context()
              .http()
              .post('/api/image')
              .set('Authorization', `Bearer ${token}`)
              .send(body),
          );
          expect(expected.status).toBe(422);
          expect(
            await messageAnswer(client().create(token, body as unknown as ImageCreateBody)),
          ).toEqual(expected);
        }
      });

      it('should answer image.update of a live image with a bad body as PATCH does (422)', async () => {
        const image = await insertImageRow(context().dataSource);
        const token = tokenWith(Permission.UpdateImage);
        const body = { path: 'javascript:alert(1)', facet: null } as unknown as ImageUpdateBody;
        const expected = httpAnswer(
          await httpWrite(WRITE_ROUTES.update, image.image_id, `Bearer ${token}`, body),
        );
        expect(expected.status).toBe(422);
        expect(await messageAnswer(client().update(token, image.image_id, body))).toEqual(expected);
        expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
      });

      it('should answer image.update of a trashed image with 404, as PATCH does', async () => {
        const image = await insertImageRow(context().dataSource, { deleted_at: OLD_TIMESTAMP });
        await expect(
          client().update(tokenWith(Permission.UpdateImage), image.image_id, { path: 'x.jpg' }),
        ).rejects.toEqual(new ImageClientError(404, `Image ${image.image_id} not found.`));
      });

      describe('writes that succeed', () => {
        /** Two identical rows: one written over HTTP, its twin with a message. */
        async function twins(row: { deleted_at?: string | null } = {}) {
          const http = await insertImageRow(context().dataSource, {
            path: 'anime/twin.jpg',
            ...row,
          });
          const message = await insertImageRow(context().dataSource, {
            path: 'anime/twin.jpg',
            ...row,
          });
          return { http: http.image_id, message: message.image_id };
        }

        /** A rendered image without what differs between twins: its id and its fresh timestamps. */
        function comparable(body: unknown): unknown {
          const { image, ...rest } = body as { image?: Record<string, unknown> };
          if (image === undefined) return body;
          const { image_id: _id, updated_at: _updated, created_at: _created, ...fields } = image;
          return { ...rest, image: fields };
        }

        it('should create as POST does, stored the same way', async () => {
          const token = tokenWith(Permission.CreateImage);
          const body: ImageCreateBody = { path: 'anime/created.jpg', facet: 'Large Cover' };
          const viaHttp = await context()
            .http()
            .post('/api/image')
            .set('Authorization', `Bearer ${token}`)
            .send(body)
            .expect(201);
          const reply = await client().create(token, body);
          expect(comparable(reply)).toEqual(comparable(viaHttp.body));
          const stored = await readImageRow(context().dataSource, reply.image.image_id);
          expect(stored).toMatchObject({ path: 'anime/created.jpg', facet: 1, deleted_at: null });
          expect(reply.image.created_at).toBe(`${stored!.created_at.replace(' ', 'T')}Z`);
        });

        it('should update as PATCH does, and change the row', async () => {
          const { http, message } = await twins();
          const token = tokenWith(Permission.UpdateImage);
          const body: ImageUpdateBody = { path: 'anime/renamed.png', facet: 2 };
          const viaHttp = await httpWrite(WRITE_ROUTES.update, http, `Bearer ${token}`, body);
          const reply = await client().update(token, message, body);
          expect(comparable(reply)).toEqual(comparable(viaHttp.body));
          expect(await readImageRow(context().dataSource, message)).toMatchObject({
            path: 'anime/renamed.png',
            facet: 2,
          });
        });

        it('should soft-delete and restore as DELETE and PATCH restore do', async () => {
          const { http, message } = await twins();
          const deleteToken = tokenWith(Permission.DeleteImage);
          const viaHttp = await httpWrite(WRITE_ROUTES.delete, http, `Bearer ${deleteToken}`);
          const deleted = await client().delete(deleteToken, message);
          expect(comparable(deleted)).toEqual(comparable(viaHttp.body));
          expect((await readImageRow(context().dataSource, message))?.deleted_at).not.toBeNull();

          const restoreToken = tokenWith(Permission.RestoreImage);
          const restoredHttp = await httpWrite(
            WRITE_ROUTES.restore,
            http,
            `Bearer ${restoreToken}`,
          );
          const restored = await client().restore(restoreToken, message);
          expect(comparable(restored)).toEqual(comparable(restoredHttp.body));
          expect((await readImageRow(context().dataSource, message))?.deleted_at).toBeNull();
        });

        it('should force-delete as DELETE forceDelete does, pivot rows included', async () => {
          const { http, message } = await twins({ deleted_at: OLD_TIMESTAMP });
          await attachEveryRelation(context().dataSource, message, 9000 + message);
          const token = tokenWith(Permission.ForceDeleteImage);
          const viaHttp = await httpWrite(WRITE_ROUTES.forceDelete, http, `Bearer ${token}`);
          expect(await client().forceDelete(`Bearer ${token}`, message)).toEqual(viaHttp.body);
          expect(viaHttp.body).toEqual({ message: "Image 'anime/twin.jpg' was deleted." });
          expect(await readImageRow(context().dataSource, message)).toBeUndefined();
          expect(await pivotCounts(context().dataSource, message)).toEqual({
            anime_image: 0,
            artist_image: 0,
            studio_image: 0,
            playlist_image: 0,
          });
        });
      });

      // Found by a black-box probe: an If-Match sent with a message write was ignored (the NATS
      // header) or refused (the field), so a message client had no guard against lost updates.
      it('should hold update, delete, restore and force delete to an If-Match as the HTTP routes do', async () => {
        const image = await insertImageRow(context().dataSource, { path: 'if-match/message.png' });
        const id = image.image_id;
        const tagOf = async () =>
          (await context().http().get(`/api/image/${id}`).expect(200)).headers.etag;
        const stale = await tagOf();
        const token = tokenWith(...ALL_PERMISSIONS);
        await client().update(token, id, { facet: 'Grill' }, { ifMatch: stale });
        const precondition = { status: 412, body: { message: 'Precondition Failed.' } };
        // Every write with the tag the first update made stale: 412, nothing changes.
        const before = await readImageRow(context().dataSource, id);
        for (const write of [
          () => client().update(token, id, { path: 'if-match/lost.png' }, { ifMatch: stale }),
          () => client().delete(token, id, { ifMatch: stale }),
          () => client().restore(token, id, { ifMatch: stale }),
          () => client().forceDelete(token, id, { ifMatch: stale }),
        ]) {
          expect(await messageAnswer(write())).toEqual(precondition);
        }
        expect(await readImageRow(context().dataSource, id)).toEqual(before);
        expect(before).toMatchObject({ path: 'if-match/message.png', facet: 2 });
        // A missing image is a 404 before its tag is judged, as on HTTP.
        expect(await messageAnswer(client().delete(token, MISSING_ID, { ifMatch: stale }))).toEqual(
          { status: 404, body: { message: `Image ${MISSING_ID} not found.` } },
        );
        // The current tag, a list holding it, and `*` let the write through.
        await client().delete(token, id, { ifMatch: `"nope", ${await tagOf()}` });
        await client().restore(token, id, { ifMatch: await tagOf() });
        expect(await client().forceDelete(token, id, { ifMatch: '*' })).toEqual({
          message: "Image 'if-match/message.png' was deleted.",
        });
        expect(await readImageRow(context().dataSource, id)).toBeUndefined();
      });

      // Found by a black-box probe: message writes took no Idempotency-Key (the NATS header was
      // ignored, the field refused), so a create or attach whose reply was lost had no safe retry.
      it('should take an Idempotency-Key on create and attach: the retry replays, HTTP shares the key', async () => {
        const key = `message-key-${transport}`;
        const token = tokenWith(Permission.CreateImage, Permission.CreateAnime);
        const body = { path: `idempotent/${transport}.png`, facet: 'Cover' as const };
        const first = await client().create(`Bearer ${token}`, body, { idempotencyKey: key });
        expect(await client().create(`Bearer ${token}`, body, { idempotencyKey: key })).toEqual(
          first,
        );
        // The same key over HTTP, with the same body: the same answer, no second image.
        const viaHttp = await context()
          .http()
          .post('/api/image')
          .set('Authorization', `Bearer ${token}`)
          .set('Idempotency-Key', key)
          .send(body)
          .expect(201);
        expect(viaHttp.body).toEqual(first);
        expect(viaHttp.headers['idempotent-replayed']).toBe('true');
        const [{ count }] = await context().dataSource.query<{ count: number | string }[]>(
          'SELECT COUNT(*) AS count FROM images WHERE path = ?',
          [body.path],
        );
        expect(Number(count)).toBe(1);
        // Another body under the key, or a malformed key: 422 at Idempotency-Key, nothing written.
        expect(
          await messageAnswer(
            client().create(
              `Bearer ${token}`,
              { ...body, facet: 'Grill' },
              { idempotencyKey: key },
            ),
          ),
        ).toEqual({
          status: 422,
          body: {
            message: 'The Idempotency-Key has already been used with another request.',
            errors: {
              'Idempotency-Key': [
                'The Idempotency-Key has already been used with another request.',
              ],
            },
          },
        });
        expect(
          await messageAnswer(client().create(`Bearer ${token}`, body, { idempotencyKey: '' })),
        ).toMatchObject({
          status: 422,
          body: { errors: { 'Idempotency-Key': expect.any(Array) } },
        });

        const image = (first.image as { image_id: number }).image_id;
        const attached = await client().attach(
          `Bearer ${token}`,
          'animeimage',
          'trigun',
          image,
          {},
          {
            idempotencyKey: `${key}-attach`,
          },
        );
        expect(
          await client().attach(
            `Bearer ${token}`,
            'animeimage',
            'trigun',
            image,
            {},
            {
              idempotencyKey: `${key}-attach`,
            },
          ),
        ).toEqual(attached);
        // Without the key the same attach is the 409 of a link that exists.
        expect(
          await messageAnswer(client().attach(`Bearer ${token}`, 'animeimage', 'trigun', image)),
        ).toMatchObject({ status: 409 });
      });
    });

    describe('the wire format over NATS, without the typed client', () => {
      let connection: NatsConnection;

      beforeAll(async () => {
        connection = await connect({ servers: TEST_NATS_URL });
      });

      afterAll(async () => {
        await connection.close();
      });

      /** A Nest request packet on `<prefix><pattern>`; the one reply packet it gets. */
      async function request(pattern: string, data: unknown): Promise<unknown> {
        const reply = await connection.request(
          `${subjectPrefix}${pattern}`,
          natsPacket('r1', pattern, data),
          { timeout: 5000 },
        );
        return JSON.parse(codec.decode(reply.data));
      }

      it('should reply {id, response, isDisposed} with the HTTP body', async () => {
        const expected = await context().http().get('/api/image/3').expect(200);
        expect(await request('image.show', { id: 3 })).toEqual({
          id: 'r1',
          response: expected.body,
          isDisposed: true,
        });
      });

      it('should reply {id, err, isDisposed} with the status and the HTTP error body', async () => {
        expect(await request('image.list', { query: 'page[size]=0' })).toEqual({
          id: 'r1',
          err: {
            status: 422,
            message: "page[size] must be an integer from 1 to 100; got '0'.",
            errors: { 'page.size': ["page[size] must be an integer from 1 to 100; got '0'."] },
          },
          isDisposed: true,
        });
      });

      it.each([
        [
          'a query not wrapped in {query}',
          'image.list',
          { filter: { facet: 'Cover' } },
          'Malformed message: unknown field "filter"; image.list takes {query?}.',
        ],
        [
          'a message that is not an object',
          'image.show',
          'id=1',
          'Malformed message: the message is not an object; image.show takes {id, query?}.',
        ],
        [
          'a write without its id',
          'image.update',
          { token: 'x', body: {} },
          'Malformed message: the field "id" is missing; image.update takes {token?, id, body?, ifMatch?}.',
        ],
        [
          'an id that is neither a number nor a string',
          'image.delete',
          { id: [1] },
          'Malformed message: id must be a number or a string; image.delete takes {token?, id, ifMatch?}.',
        ],
      ])(
        'should answer 400 to %s, before the token is checked',
        async (_what, pattern, data, message) => {
          expect(await request(pattern, data)).toEqual({
            id: 'r1',
            err: { status: 400, message },
            isDisposed: true,
          });
        },
      );

      // A token that is not a string is no token, as an Authorization header that is not exactly
      // `Bearer <token>` is on HTTP (docs/microservice.md).
      it.each([{ sub: 'alice' }, 42, ['a.b.c']])(
        'should answer 401 to a token that is not a string (%j), and write nothing',
        async (token) => {
          expect(await request('image.delete', { token, id: 3 })).toEqual({
            id: 'r1',
            err: { status: 401, message: 'Unauthenticated.' },
            isDisposed: true,
          });
          expect(await readImageRow(context().dataSource, 3)).toMatchObject({ deleted_at: null });
        },
      );

      /** A bare payload, without Nest's packet, as any NATS client sends it. */
      async function requestRaw(pattern: string, payload: string): Promise<unknown> {
        const reply = await connection.request(
          `${subjectPrefix}${pattern}`,
          codec.encode(payload),
          {
            timeout: 5000,
          },
        );
        return JSON.parse(codec.decode(reply.data));
      }

      it('should take a bare JSON message as the request itself', async () => {
        const expected = await context().http().get('/api/image?page[size]=2').expect(200);
        expect(await requestRaw('image.list', '{"query": {"page": {"size": 2}}}')).toEqual({
          id: expect.any(String),
          response: expected.body,
          isDisposed: true,
        });
      });

      it('should answer 400 to a Nest packet with a field beside id, pattern and data, changing nothing', async () => {
        const image = await insertImageRow(context().dataSource);
        const reply = await requestRaw(
          'image.update',
          JSON.stringify(strayBodyPacket(image.image_id)),
        );
        expect(reply).toEqual(STRAY_BODY_REPLY);
        expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
      });

      it.each(['not json', '', '{"query": ', '\u00ff'])(
        'should answer 400 to a payload that is not JSON (%p) and keep serving',
        async (payload) => {
          expect(await requestRaw('image.show', payload)).toEqual({
            id: expect.any(String),
            err: {
              status: 400,
              message: 'Malformed message: the message is not JSON; image.show takes {id, query?}.',
            },
            isDisposed: true,
          });
          expect(await request('image.show', { id: 3 })).toMatchObject({
            response: { image: { image_id: 3 } },
          });
        },
      );

      /** A Nest packet sent with NATS headers. */
      async function requestWithHeaders(
        pattern: string,
        data: unknown,
        values: Record<string, string> | readonly (readonly [string, string])[],
      ): Promise<unknown> {
        const msgHeaders = headers();
        // A list may name a header twice (each value appended); a record sets each once.
        if (Array.isArray(values)) {
          for (const [name, value] of values) msgHeaders.append(name, value);
        } else {
          for (const [name, value] of Object.entries(values)) msgHeaders.set(name, value);
        }
        const reply = await connection.request(
          `${subjectPrefix}${pattern}`,
          natsPacket('r1', pattern, data),
          { timeout: 5000, headers: msgHeaders },
        );
        return JSON.parse(codec.decode(reply.data));
      }

      it('should take the JWT from an Authorization header, preferred to the token field', async () => {
        const token = tokenWith(Permission.CreateImage);
        const reply = (await requestWithHeaders(
          'image.create',
          { token: 'not-a-jwt', body: { path: 'header/auth.png', facet: 'Cover' } },
          { Authorization: `Bearer ${token}` },
        )) as { response: { image: { image_id: number } } };
        expect(reply).toEqual({
          id: 'r1',
          response: { image: expect.objectContaining({ path: 'header/auth.png', facet: 'Cover' }) },
          isDisposed: true,
        });
        expect(
          await readImageRow(context().dataSource, reply.response.image.image_id),
        ).toMatchObject({ path: 'header/auth.png', facet: 1 });
      });

      it.each([
        ['a header that is not exactly `Bearer <token>`', (token: string) => `bearer ${token}`],
        ['a header with junk after the token', (token: string) => `Bearer ${token} junk`],
      ])('should answer 401 to %s, whatever the token field holds', async (_what, header) => {
        const token = tokenWith(Permission.CreateImage);
        expect(
          await requestWithHeaders(
            'image.create',
            { token, body: { path: 'header/refused.png', facet: 'Cover' } },
            { Authorization: header(token) },
          ),
        ).toEqual({
          id: 'r1',
          err: { status: 401, message: 'Unauthenticated.' },
          isDisposed: true,
        });
      });

      it('should answer 403 to a header token without the permission', async () => {
        expect(
          await requestWithHeaders(
            'image.delete',
            { id: 1 },
            { Authorization: `Bearer ${tokenWith(Permission.CreateImage)}` },
          ),
        ).toEqual({
          id: 'r1',
          err: { status: 403, message: 'This action is unauthorized.' },
          isDisposed: true,
        });
      });

      it('should answer a reply too large for the broker with a shortened one, and keep serving (it ended the process)', async () => {
        const maxPayload = connection.info!.max_payload;
        // The request fits; its 404, which repeats the id (API.md section 7), would not.
        const id = '9'.repeat(maxPayload - 60);
        const message = `Image ${id} not found.`;
        expect(await request('image.show', { id })).toEqual({
          id: 'r1',
          err: {
            status: 404,
            message: `${message.slice(0, 1000)}… (shortened: the whole reply was too large to send)`,
          },
          isDisposed: true,
        });
        // A field name is quoted only in part (found by a probe: a 1 MB name came back whole).
        const name = 'k'.repeat(maxPayload - 60);
        expect(await request('image.list', { [name]: 1 })).toEqual({
          id: 'r1',
          err: {
            status: 400,
            message: `Malformed message: unknown field "${'k'.repeat(60)}…"; image.list takes {query?}.`,
          },
          isDisposed: true,
        });
        expect(await request('image.show', { id: 3 })).toMatchObject({
          response: { image: { image_id: 3 } },
        });
      });

      it('should answer a Nest packet without an id like any request, with a generated id (it ran, and answered no one)', async () => {
        const image = await insertImageRow(context().dataSource);
        const msgHeaders = headers();
        msgHeaders.set('Authorization', `Bearer ${tokenWith(Permission.DeleteImage)}`);
        const reply = await connection.request(
          `${subjectPrefix}image.delete`,
          codec.encode(JSON.stringify({ pattern: 'image.delete', data: { id: image.image_id } })),
          { timeout: 5000, headers: msgHeaders },
        );
        expect(JSON.parse(codec.decode(reply.data))).toEqual({
          id: expect.any(String),
          response: { image: expect.objectContaining({ image_id: image.image_id }) },
          isDisposed: true,
        });
        expect((await readImageRow(context().dataSource, image.image_id))!.deleted_at).not.toBe(
          null,
        );
      });

      /** One request in NATS' own protocol, headers as given: the reply's payload, or a timeout. */
      async function rawNatsRequest(subject: string, headerLines: string, payload: string) {
        const socket = createConnection(4222, '127.0.0.1');
        const inbox = `_INBOX.raw.${Date.now()}`;
        const block = `NATS/1.0\r\n${headerLines}\r\n`;
        const total = Buffer.byteLength(block) + Buffer.byteLength(payload);
        let received = '';
        try {
          return await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no reply within 5 s')), 5000);
            socket.on('data', (chunk: Buffer) => {
              received += chunk.toString();
              const reply = /\r\nH?MSG [^\r]*\r\n(?:NATS\/1\.0[^]*?\r\n\r\n)?(\{[^\r]*\})\r\n/.exec(
                received,
              );
              if (reply !== null) {
                clearTimeout(timer);
                resolve(reply[1]);
              }
            });
            socket.write(
              `CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSUB ${inbox} 1\r\n` +
                `HPUB ${subject} ${inbox} ${Buffer.byteLength(block)} ${total}\r\n${block}${payload}\r\nPING\r\n`,
            );
          });
        } finally {
          socket.destroy();
        }
      }

      // Found by a probe: nats.js decodes headers in time that grows with the square of their
      // distinct names (40,000 froze the process for 30 s), and a name with a space threw, leaving
      // the caller without an answer.
      it.each([
        [
          'over 16 KiB of headers',
          Array.from({ length: 2000 }, (_, index) => `X-H${index}: v\r\n`).join(''),
          'Malformed message: its headers are over 16384 bytes.',
        ],
        [
          'a header name with a space',
          'X Y: 1\r\n',
          "Malformed message: its headers cannot be read (' ' is not a valid character for a header key).",
        ],
      ])(
        'should answer a message with %s with a 400, running nothing',
        async (_, lines, message) => {
          const image = await insertImageRow(context().dataSource);
          const payload = JSON.stringify({
            id: 'r1',
            pattern: 'image.delete',
            data: { id: image.image_id, token: tokenWith(Permission.DeleteImage) },
          });
          const reply = await rawNatsRequest(`${subjectPrefix}image.delete`, lines, payload);
          expect(JSON.parse(reply)).toEqual({
            id: 'r1',
            err: { status: 400, message },
            isDisposed: true,
          });
          expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
            deleted_at: null,
          });
          // Still answering: an ordinary request right after.
          await expect(messageAnswer(clients.NATS!.show(image.image_id))).resolves.toMatchObject({
            status: 'ok',
          });
        },
      );

      // A deeply nested id (found by a probe) overflowed JSON.stringify's stack when repeated.
      it.each([
        ['too long for its reply', JSON.stringify('x'.repeat(254))],
        ['nested too deep to repeat', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ])('should refuse a packet id %s with a 400, running nothing', async (_, id) => {
        const image = await insertImageRow(context().dataSource);
        const msgHeaders = headers();
        msgHeaders.set('Authorization', `Bearer ${tokenWith(Permission.DeleteImage)}`);
        const reply = await connection.request(
          `${subjectPrefix}image.delete`,
          codec.encode(`{"id":${id},"pattern":"image.delete","data":{"id":${image.image_id}}}`),
          { timeout: 5000, headers: msgHeaders },
        );
        expect(JSON.parse(codec.decode(reply.data))).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          err: {
            status: 400,
            message:
              'Malformed message: the packet id is longer than 255 characters; image.delete takes {token?, id, ifMatch?}.',
          },
          isDisposed: true,
        });
        expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
          deleted_at: null,
        });
      });

      // Found by a probe: the subject chose the handler and the packet's own pattern was ignored,
      // so a delete packet sent to the update subject ran an (empty) update and answered 200.
      it("should refuse a packet whose pattern is not its subject's with a 400, running nothing", async () => {
        const image = await insertImageRow(context().dataSource);
        const reply = await connection.request(
          `${subjectPrefix}image.update`,
          natsPacket('r1', 'image.delete', {
            id: image.image_id,
            token: tokenWith(...ALL_PERMISSIONS),
          }),
          { timeout: 5000 },
        );
        expect(JSON.parse(codec.decode(reply.data))).toEqual({
          id: 'r1',
          err: {
            status: 400,
            message:
              'Malformed message: the packet\'s pattern "image.delete" is not its subject\'s "image.update"; image.update takes {token?, id, body?, ifMatch?}.',
          },
          isDisposed: true,
        });
        expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
      });

      // Found by a probe: repeating a pattern nested 20,000 deep threw, and the caller got no answer.
      it('should refuse a packet whose pattern is nested too deep to repeat with a 400', async () => {
        const deep = `${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`;
        const reply = await connection.request(
          `${subjectPrefix}image.show`,
          codec.encode(`{"id":"r1","pattern":${deep},"data":{"id":3}}`),
          { timeout: 5000 },
        );
        expect(JSON.parse(codec.decode(reply.data))).toEqual({
          id: 'r1',
          err: {
            status: 400,
            message:
              'Malformed message: the packet\'s pattern (a value nested too deep to repeat) is not its subject\'s "image.show"; image.show takes {id, query?}.',
          },
          isDisposed: true,
        });
      });

      it('should answer a packet whose id is an object with a toString key (no hang)', async () => {
        const reply = await connection.request(
          `${subjectPrefix}image.show`,
          codec.encode('{"id": {"toString": 1}, "pattern": "image.show", "data": {"id": 3}}'),
          { timeout: 5000 },
        );
        expect(JSON.parse(codec.decode(reply.data))).toMatchObject({
          id: { toString: 1 },
          response: { image: { image_id: 3 } },
        });
      });

      it('should answer a string query holding a lone surrogate as it reads it (U+FFFD), links included (a 500 once)', async () => {
        const reply = (await request('image.list', {
          query: 'filter[path]=a\uD800b&page[size]=1',
        })) as { response: { links: { first: string } } };
        expect(reply.response.links.first).toBe(
          `${PUBLIC_URL}/api/image?filter[path]=a%EF%BF%BDb&page[size]=1&page[number]=1`,
        );
      });

      // Found by a probe: the service replied with its own rights to any subject the caller named,
      // so a caller could forge an event or purge the events stream ($JS.API.STREAM.PURGE...), and
      // (found by another) forge one in another deployment's stream on the same broker.
      it("should reply to no subject of any deployment's events or of a JetStream or system API, running nothing", async () => {
        const image = await insertImageRow(context().dataSource);
        const token = tokenWith(Permission.DeleteImage);
        // Also another deployment's events on a shared broker, under another prefix.
        const other = `${subjectPrefix}other.images.events.created`;
        const forged = connection.subscribe(`${subjectPrefix}images.forged`);
        const forgedElsewhere = connection.subscribe(other);
        const received: string[] = [];
        const reading = Promise.all(
          [forged, forgedElsewhere].map(async (subscription) => {
            for await (const message of subscription) received.push(codec.decode(message.data));
          }),
        );
        for (const reply of [
          `${subjectPrefix}images.forged`,
          other,
          `$JS.API.STREAM.PURGE.${subjectPrefix}NOTHING`,
          '$SYS.REQ.SERVER.PING',
        ]) {
          connection.publish(
            `${subjectPrefix}image.delete`,
            natsPacket('f1', 'image.delete', { id: image.image_id, token }),
            { reply },
          );
        }
        // NATS keeps one publisher's order: once a later request is answered, all were taken.
        await request('image.show', { id: 3 });
        await connection.flush();
        forged.unsubscribe();
        forgedElsewhere.unsubscribe();
        await reading;
        expect(received).toEqual([]);
        expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
          deleted_at: null,
        });
        // An inbox of the caller's own naming is answered as ever.
        const answer = await connection.request(
          `${subjectPrefix}image.show`,
          natsPacket('ok', 'image.show', { id: 3 }),
          { timeout: 5000 },
        );
        expect(JSON.parse(codec.decode(answer.data))).toMatchObject({ id: 'ok', isDisposed: true });
      });

      it(`should answer a NATS flood past ${MAX_MESSAGES_IN_FLIGHT} requests running 503 at once, and every request once`, async () => {
        const image = await insertImageRow(context().dataSource);
        const token = tokenWith(Permission.UpdateImage);
        const count = 4 * MAX_MESSAGES_IN_FLIGHT;
        // Writes take turns (SQLite's one writer, MariaDB's row lock): they pile up in flight.
        const replies = await Promise.all(
          Array.from({ length: count }, (_, index) =>
            connection
              .request(
                `${subjectPrefix}image.update`,
                natsPacket(`n${index}`, 'image.update', {
                  id: image.image_id,
                  token,
                  body: { path: `flood/${index}.png` },
                }),
                { timeout: 20_000 },
              )
              .then((reply) => JSON.parse(codec.decode(reply.data)) as Record<string, unknown>),
          ),
        );
        const busy = replies.filter((reply) => reply.err !== undefined);
        const done = replies.filter((reply) => reply.response !== undefined);
        expect(busy.length + done.length).toBe(count);
        expect(done.length).toBeGreaterThanOrEqual(MAX_MESSAGES_IN_FLIGHT);
        expect(busy.length).toBeGreaterThan(0);
        expect(new Set(busy.map((reply) => JSON.stringify(reply.err)))).toEqual(
          new Set([JSON.stringify({ status: 503, message: 'Service Unavailable.' })]),
        );
      });

      it('should drop a message that expects no reply, writing nothing (it ran the write)', async () => {
        const image = await insertImageRow(context().dataSource);
        const token = tokenWith(Permission.DeleteImage);
        connection.publish(
          `${subjectPrefix}image.delete`,
          natsPacket('e1', 'image.delete', { id: image.image_id, token }),
        );
        connection.publish(
          `${subjectPrefix}image.delete`,
          codec.encode(JSON.stringify({ id: image.image_id, token })),
        );
        // NATS keeps one publisher's order: once a later request is answered, both were taken.
        await request('image.show', { id: 3 });
        expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
          deleted_at: null,
        });
      });

      it.each([
        ['nested 33 levels deep', JSON.stringify({ path: deep(32), facet: 'Cover' })],
        ['nested 3,000 levels deep (a 500 before)', JSON.stringify({ path: deep(2999), facet: 1 })],
        [
          'with a __proto__ key',
          '{"path": "proto/p.jpg", "facet": "Cover", "__proto__": {"x": 1}}',
        ],
        [
          'with constructor.prototype',
          '{"path": "proto/c.jpg", "facet": 1, "constructor": {"prototype": {"x": 1}}}',
        ],
      ])(
        'should answer 400 "Malformed JSON body." to a body %s, as POST does, before the token',
        async (_what, body) => {
          const before = await countRows(context().dataSource, 'images');
          const reply = await connection.request(
            `${subjectPrefix}image.create`,
            codec.encode(`{"id": "r1", "pattern": "image.create", "data": {"body": ${body}}}`),
            { timeout: 5000 },
          );
          expect(JSON.parse(codec.decode(reply.data))).toEqual({
            id: 'r1',
            err: { status: 400, message: 'Malformed JSON body.' },
            isDisposed: true,
          });
          const http = await context()
            .http()
            .post('/api/image')
            .set('Content-Type', 'application/json')
            .send(body)
            .expect(400);
          expect(http.body).toEqual({ message: 'Malformed JSON body.' });
          expect(await countRows(context().dataSource, 'images')).toBe(before);
        },
      );

      it.each([
        ['in lower case', 'authorization', (token: string) => `Bearer ${token}`, 403],
        ['blank', 'Authorization', () => '', 401],
      ])(
        'should let an Authorization header %s count, whatever the token field holds',
        async (_what, name, value, status) => {
          const image = await insertImageRow(context().dataSource);
          expect(
            await requestWithHeaders(
              'image.delete',
              { id: image.image_id, token: tokenWith(Permission.DeleteImage) },
              { [name]: value(tokenWith(Permission.CreateImage)) },
            ),
          ).toMatchObject({ id: 'r1', err: { status } });
          expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
            deleted_at: null,
          });
        },
      );

      // Found by a black-box probe: the first of two Authorization headers decided, so a valid and
      // a bad token were judged by their order (two lines are no token on HTTP).
      it.each([
        ['valid, then bad', ['Authorization', 'Authorization']],
        ['bad, then valid', ['Authorization', 'Authorization']],
        ['valid, then bad in lower case', ['Authorization', 'authorization']],
      ])('should take two Authorization headers (%s) for no token: 401', async (what, names) => {
        const image = await insertImageRow(context().dataSource);
        const good = `Bearer ${tokenWith(Permission.DeleteImage)}`;
        const values = what.startsWith('valid') ? [good, 'Bearer bad'] : ['Bearer bad', good];
        expect(
          await requestWithHeaders('image.delete', { id: image.image_id }, [
            [names[0], values[0]],
            [names[1], values[1]],
          ]),
        ).toMatchObject({ id: 'r1', err: { status: 401, message: 'Unauthenticated.' } });
        expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
          deleted_at: null,
        });
      });

      it('should take If-Match from a NATS header (several are one list), preferred to the field', async () => {
        const image = await insertImageRow(context().dataSource);
        const auth = `Bearer ${tokenWith(Permission.UpdateImage)}`;
        const tag = (await context().http().get(`/api/image/${image.image_id}`).expect(200)).headers
          .etag;
        const update = (values: readonly (readonly [string, string])[], ifMatch?: unknown) =>
          requestWithHeaders(
            'image.update',
            { id: image.image_id, body: { path: 'if-match/header.png' }, ifMatch },
            [['Authorization', auth], ...values],
          );
        expect(await update([['If-Match', '"stale"']], tag)).toEqual({
          id: 'r1',
          err: { status: 412, message: 'Precondition Failed.' },
          isDisposed: true,
        });
        expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
        expect(
          await update([
            ['if-match', '"stale"'],
            ['If-Match', tag],
          ]),
        ).toMatchObject({ id: 'r1', response: { image: { path: 'if-match/header.png' } } });
        const notAString = {
          id: 'r1',
          err: {
            status: 400,
            message:
              'Malformed message: ifMatch must be a string; image.update takes {token?, id, body?, ifMatch?}.',
          },
          isDisposed: true,
        };
        expect(await update([], 42)).toEqual(notAString);
        // Judged with the envelope, before the token (a probe found it after).
        expect(
          await requestWithHeaders(
            'image.update',
            { id: image.image_id, body: {}, ifMatch: 42 },
            [],
          ),
        ).toEqual(notAString);
      });

      it('should answer 422 to two Idempotency-Key headers, and take a key with spaces around it as HTTP does', async () => {
        const auth = `Bearer ${tokenWith(Permission.CreateImage)}`;
        const body = { path: 'idempotency/nats-headers.png', facet: 'Cover' };
        const invalid = 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.';
        expect(
          await requestWithHeaders('image.create', { body }, [
            ['Authorization', auth],
            ['Idempotency-Key', 'nats-two-a'],
            ['Idempotency-Key', 'nats-two-b'],
          ]),
        ).toEqual({
          id: 'r1',
          err: { status: 422, message: invalid, errors: { 'Idempotency-Key': [invalid] } },
          isDisposed: true,
        });
        expect(
          await countRows(context().dataSource, 'images', "path = 'idempotency/nats-headers.png'"),
        ).toBe(0);
        // HTTP drops the spaces around a header value: `K ` over NATS is `K` over HTTP.
        const first = (await requestWithHeaders('image.create', { body }, [
          ['Authorization', auth],
          ['Idempotency-Key', ' nats-spaced '],
        ])) as { response: unknown };
        const viaHttp = await context()
          .http()
          .post('/api/image')
          .set('Authorization', auth)
          .set('Idempotency-Key', 'nats-spaced')
          .send(body)
          .expect(201);
        expect(viaHttp.body).toEqual(first.response);
        expect(viaHttp.headers['idempotent-replayed']).toBe('true');
        expect(
          await countRows(context().dataSource, 'images', "path = 'idempotency/nats-headers.png'"),
        ).toBe(1);
      });

      it('should have NATS refuse an unknown pattern at once (no responders), not time out', async () => {
        await expect(request('image.purge', {})).rejects.toMatchObject({ code: '503' });
      });
    });

    describe("failures that are not the API's answers", () => {
      it('should answer an unknown pattern over TCP at once (502 in the typed client)', async () => {
        const proxy = new ClientTCP({ host: '127.0.0.1', port: context().listeners.tcp!.port });
        try {
          const error: unknown = await firstValueFrom(proxy.send('image.purge', {})).catch(
            (reason: unknown) => reason,
          );
          expect(error).toBe('There is no matching message handler defined in the remote service.');
          expect(errorOfReply(error)).toEqual(new ImageClientError(502, error as string));
        } finally {
          proxy.close();
        }
      });

      it('should drop a TCP packet without an id (an event), writing nothing, and answer the next request', async () => {
        const image = await insertImageRow(context().dataSource);
        const token = tokenWith(Permission.DeleteImage);
        const reply = await firstTcpReply(context().listeners.tcp!.port, [
          tcpFrame({ pattern: 'image.delete', data: { id: image.image_id, token } }),
          tcpFrame({ id: 't1', pattern: 'image.show', data: { id: 3 } }),
        ]);
        expect(reply).toMatchObject({ id: 't1', response: { image: { image_id: 3 } } });
        expect(await readImageRow(context().dataSource, image.image_id)).toMatchObject({
          deleted_at: null,
        });
      });

      // Found by a probe: Nest read a packet's pattern, data and id and dropped the rest, so a
      // body beside data (not in it) answered 200 and changed nothing.
      it('should answer 400 to a TCP packet with a field beside id, pattern and data, changing nothing', async () => {
        const image = await insertImageRow(context().dataSource);
        const packet = strayBodyPacket(image.image_id);
        expect(await firstTcpReply(context().listeners.tcp!.port, [tcpFrame(packet)])).toEqual(
          STRAY_BODY_REPLY,
        );
        expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
      });

      // Found by a probe: a frame may be 2 MB, and a 1.5 MB body was created where HTTP answers 413.
      it("should answer a TCP body over HTTP's 1 MB limit 413, creating nothing", async () => {
        const token = tokenWith(Permission.CreateImage);
        const before = await countRows(context().dataSource, 'images');
        const packet = {
          id: 'big',
          pattern: 'image.create',
          data: { token, body: { path: 'big/x.png', facet: 1, junk: 'x'.repeat(1_500_000) } },
        };
        expect(await firstTcpReply(context().listeners.tcp!.port, [tcpFrame(packet)])).toEqual({
          id: 'big',
          err: { status: 413, message: 'The request body is larger than 1 MB.' },
          isDisposed: true,
        });
        expect(await countRows(context().dataSource, 'images')).toBe(before);
      });

      // Found by a probe: 20,000 requests in one write ran side by side, queued for the database
      // pool, answered 503 after its wait and held HTTP up behind them.
      it(`should run at most ${MAX_MESSAGES_IN_FLIGHT} requests of a TCP flood at once, answering the rest 503 at once`, async () => {
        const count = MAX_MESSAGES_IN_FLIGHT + 36;
        const socket = createConnection(context().listeners.tcp!.port, '127.0.0.1');
        try {
          const replies = new Promise<{ id: string; err?: unknown; response?: unknown }[]>(
            (resolve) => {
              let received = '';
              const parsed: { id: string; err?: unknown; response?: unknown }[] = [];
              socket.on('data', (chunk: Buffer) => {
                received += chunk.toString();
                for (;;) {
                  const hash = received.indexOf('#');
                  if (hash === -1) break;
                  const length = Number(received.slice(0, hash));
                  if (received.length < hash + 1 + length) break;
                  parsed.push(JSON.parse(received.slice(hash + 1, hash + 1 + length)));
                  received = received.slice(hash + 1 + length);
                }
                if (parsed.length === count) resolve(parsed);
              });
            },
          );
          socket.write(
            Array.from({ length: count }, (_, index) =>
              tcpFrame({ id: `f${index}`, pattern: 'image.show', data: { id: 3 } }),
            ).join(''),
          );
          const answers = await replies;
          const busy = answers.filter((answer) => answer.err !== undefined);
          expect(busy.length).toBe(count - MAX_MESSAGES_IN_FLIGHT);
          expect(busy[0]).toEqual({
            id: `f${MAX_MESSAGES_IN_FLIGHT}`,
            err: { status: 503, message: 'Service Unavailable.' },
            isDisposed: true,
          });
          expect(answers.filter((answer) => answer.response !== undefined).length).toBe(
            MAX_MESSAGES_IN_FLIGHT,
          );
        } finally {
          socket.destroy();
        }
      });

      // Found by a probe: sent, a message over the TCP listener's limit closed the connection under
      // every call on it (503s that `retry` sent again, the big one included).
      it('should refuse a message over the TCP limit in the client (413), leaving other calls be', async () => {
        const before = await countRows(context().dataSource, 'images');
        const client = clients.TCP!;
        const reads = Array.from({ length: 10 }, () => client.list({ page: { size: 100 } }));
        const big = client
          .create(tokenWith(Permission.CreateImage), { path: 'z'.repeat(3 << 20), facet: 'Cover' })
          .catch((error: unknown) => error);
        const error = await big;
        expect(error).toBeInstanceOf(ImageClientError);
        expect(error).not.toBeInstanceOf(ImageClientUnavailableError);
        expect(error).toMatchObject({
          status: 413,
          message: `The message is larger than the Image API's TCP listener accepts (${2 * 1024 * 1024} characters).`,
        });
        for (const page of await Promise.all(reads)) expect(page.images.length).toBeGreaterThan(0);
        expect(await countRows(context().dataSource, 'images')).toBe(before);
      });

      it('should fail at once with ImageClientUnavailableError (503) when nobody listens on NATS', async () => {
        const nobody = new ImageClient({
          nats: { servers: TEST_NATS_URL },
          subjectPrefix: `${subjectPrefix}nobody.`,
          logger: false,
        });
        try {
          const error: unknown = await nobody.list().catch((reason: unknown) => reason);
          expect(error).toBeInstanceOf(ImageClientUnavailableError);
          expect(error).toMatchObject({ status: 503 });
        } finally {
          await nobody.close();
        }
      });
    });
  },
  {
    listeners: true,
    env: {
      PUBLIC_URL,
      MICROSERVICE_PORT: '0',
      MICROSERVICE_HOST: '127.0.0.1',
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: subjectPrefix,
      // The writes' events go to a stream of this file's own (removed at the end).
      NATS_EVENTS_STREAM: stream,
    },
  },
);

afterAll(() => deleteStream(stream));
