import type { DataSource } from 'typeorm';
import { ALL_PERMISSIONS, Permission } from '../src/auth/permissions';
import {
  attachEveryRelation,
  countRows,
  ImageRecord,
  insertImageRow,
  pivotCounts,
  readImageRow,
  rendered,
} from './helpers/image-rows';
import { describeEachDatabase, TestApp } from './helpers/test-app';
import { bearer, forgedAuthorizations, signTestToken, tokenWith } from './helpers/tokens';

const FACET_NAMES = ['Small Cover', 'Cover', 'Grill'];
const MISSING_ID = 987654321;

const UNAUTHENTICATED = { message: 'Unauthenticated.' };
const FORBIDDEN = { message: 'This action is unauthorized.' };
const notFound = (id: number | string) => ({ message: `Image ${id} not found.` });

type Method = 'post' | 'put' | 'patch' | 'delete';

interface WriteRoute {
  readonly method: Method;
  /** The URL for an image id (ignored by create). */
  readonly url: (id: number | string) => string;
  readonly permission: Permission;
  readonly takesId: boolean;
  /** A body the route would accept. */
  readonly body?: Record<string, unknown>;
}

const WRITE_ROUTES: Record<string, WriteRoute> = {
  'POST /api/image': {
    method: 'post',
    url: () => '/api/image',
    permission: Permission.CreateImage,
    takesId: false,
    body: { path: 'anime/new.jpg', facet: 'Cover' },
  },
  'PUT /api/image/:id': {
    method: 'put',
    url: (id) => `/api/image/${id}`,
    permission: Permission.UpdateImage,
    takesId: true,
    body: { path: 'anime/renamed.jpg' },
  },
  'PATCH /api/image/:id': {
    method: 'patch',
    url: (id) => `/api/image/${id}`,
    permission: Permission.UpdateImage,
    takesId: true,
    body: { facet: 'Grill' },
  },
  'DELETE /api/image/:id': {
    method: 'delete',
    url: (id) => `/api/image/${id}`,
    permission: Permission.DeleteImage,
    takesId: true,
  },
  'PATCH /api/restore/image/:id': {
    method: 'patch',
    url: (id) => `/api/restore/image/${id}`,
    permission: Permission.RestoreImage,
    takesId: true,
  },
  'PATCH /restore/image/:id': {
    method: 'patch',
    url: (id) => `/restore/image/${id}`,
    permission: Permission.RestoreImage,
    takesId: true,
  },
  'DELETE /api/forceDelete/image/:id': {
    method: 'delete',
    url: (id) => `/api/forceDelete/image/${id}`,
    permission: Permission.ForceDeleteImage,
    takesId: true,
  },
  'DELETE /forceDelete/image/:id': {
    method: 'delete',
    url: (id) => `/forceDelete/image/${id}`,
    permission: Permission.ForceDeleteImage,
    takesId: true,
  },
};

/** The image as the API renders it with default fields. */
function expectedImage(record: ImageRecord): Record<string, unknown> {
  return {
    image_id: record.image_id,
    path: record.path,
    facet: FACET_NAMES[record.facet],
    link: `https://animethemes.moe/storage/images/${record.path}`,
    created_at: rendered(record.created_at),
    updated_at: rendered(record.updated_at),
  };
}

/** Everything a refused write must leave as it was. */
async function databaseSnapshot(dataSource: DataSource): Promise<unknown> {
  const images: unknown[] = await dataSource.query(
    'SELECT image_id, path, facet, created_at, updated_at, deleted_at FROM images ORDER BY image_id',
  );
  const pivots: Record<string, number> = {};
  for (const table of ['anime_image', 'artist_image', 'studio_image', 'playlist_image']) {
    pivots[table] = await countRows(dataSource, table);
  }
  return { images, pivots };
}

function send(testApp: TestApp, route: WriteRoute, id: number | string, authorization?: string) {
  let request = testApp.http()[route.method](route.url(id));
  if (authorization !== undefined) request = request.set('Authorization', authorization);
  return route.body === undefined ? request : request.send(route.body);
}

describeEachDatabase('image writes: authentication and authorization', (context) => {
  /** A trashed image with pivot rows, so every route (restore included) has work to do. */
  async function target(): Promise<ImageRecord> {
    const { dataSource } = context();
    const image = await insertImageRow(dataSource, { deleted_at: '2024-02-01 00:00:00.000000' });
    await attachEveryRelation(dataSource, image.image_id, image.image_id);
    return image;
  }

  describe.each(Object.entries(WRITE_ROUTES))('%s', (_name, route) => {
    it('should answer 401 with WWW-Authenticate when no token is sent, and change nothing', async () => {
      const image = await target();
      const before = await databaseSnapshot(context().dataSource);
      const response = await send(context(), route, image.image_id).expect(401);
      expect(response.body).toEqual(UNAUTHENTICATED);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(await databaseSnapshot(context().dataSource)).toEqual(before);
    });

    it.each(Object.keys(forgedAuthorizations()))(
      'should answer 401 to a forged or broken token (%s) and change nothing',
      async (forgery) => {
        const image = await target();
        const before = await databaseSnapshot(context().dataSource);
        const response = await send(
          context(),
          route,
          image.image_id,
          forgedAuthorizations()[forgery],
        ).expect(401);
        expect(response.body).toEqual(UNAUTHENTICATED);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(await databaseSnapshot(context().dataSource)).toEqual(before);
      },
    );

    it('should answer 403 to a valid token holding every permission but this one', async () => {
      const image = await target();
      const before = await databaseSnapshot(context().dataSource);
      const others = ALL_PERMISSIONS.filter((permission) => permission !== route.permission);
      const response = await send(context(), route, image.image_id, bearer(tokenWith(...others)));
      expect(response.status).toBe(403);
      expect(response.body).toEqual(FORBIDDEN);
      expect(await databaseSnapshot(context().dataSource)).toEqual(before);
    });

    it('should answer 403 to a token without a permissions claim', async () => {
      const image = await target();
      const withoutClaim = signTestToken({ permissions: null });
      const response = await send(context(), route, image.image_id, bearer(withoutClaim));
      expect(response.status).toBe(403);
      expect(response.body).toEqual(FORBIDDEN);
    });

    if (route.takesId) {
      it('should answer 401 before 404: no token on a missing id', async () => {
        const response = await send(context(), route, MISSING_ID).expect(401);
        expect(response.body).toEqual(UNAUTHENTICATED);
      });

      it('should answer 403 before 404: a missing id without the permission', async () => {
        const response = await send(context(), route, MISSING_ID, bearer(tokenWith())).expect(403);
        expect(response.body).toEqual(FORBIDDEN);
      });

      it('should answer 404 for a missing id', async () => {
        const before = await databaseSnapshot(context().dataSource);
        const response = await send(
          context(),
          route,
          MISSING_ID,
          bearer(tokenWith(route.permission)),
        ).expect(404);
        expect(response.body).toEqual(notFound(MISSING_ID));
        expect(await databaseSnapshot(context().dataSource)).toEqual(before);
      });

      it.each(['abc', '1.5', '-1', '0', '1e3', '99999999999999999999'])(
        'should answer 404 for the non-numeric or impossible id %s',
        async (id) => {
          const response = await send(
            context(),
            route,
            id,
            bearer(tokenWith(route.permission)),
          ).expect(404);
          expect(response.body).toEqual(notFound(id));
        },
      );
    }
  });

  it('should answer 401 when the Bearer scheme is missing from a valid token', async () => {
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', signTestToken())
      .send({ path: 'a.jpg', facet: 'Cover' })
      .expect(401);
    expect(response.body).toEqual(UNAUTHENTICATED);
  });

  it('should run the guard before body validation: an invalid body without a token is 401', async () => {
    const response = await context()
      .http()
      .post('/api/image')
      .send({ path: '/absolute', facet: 'Banner' })
      .expect(401);
    expect(response.body).toEqual(UNAUTHENTICATED);
  });

  it('should run the permission check before body validation: an invalid body without the permission is 403', async () => {
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.UpdateImage)))
      .send({ path: '/absolute', facet: 'Banner' })
      .expect(403);
    expect(response.body).toEqual(FORBIDDEN);
  });

  it('should answer 404 before 422: an invalid body for a missing image', async () => {
    const response = await context()
      .http()
      .patch(`/api/image/${MISSING_ID}`)
      .set('Authorization', bearer(tokenWith(Permission.UpdateImage)))
      .send({ path: '/absolute', facet: 'Banner' })
      .expect(404);
    expect(response.body).toEqual(notFound(MISSING_ID));
  });
});

describeEachDatabase('POST /api/image', (context) => {
  const create = (body: unknown) =>
    context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .send(body as object);

  it('should create the image: 201, the default fields, a Location header and one new row', async () => {
    const { dataSource } = context();
    const countBefore = await countRows(dataSource, 'images');
    const response = await create({
      path: 'anime/bakemonogatari/cover.jpg',
      facet: 'Large Cover',
    }).expect(201);
    const id = response.body.image.image_id as number;
    const row = await readImageRow(dataSource, id);
    expect(row).toEqual({
      image_id: id,
      path: 'anime/bakemonogatari/cover.jpg',
      facet: 1,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/),
      updated_at: row?.created_at,
      deleted_at: null,
    });
    expect(response.body).toEqual({ image: expectedImage(row!) });
    expect(Object.keys(response.body.image)).toEqual([
      'image_id',
      'path',
      'facet',
      'link',
      'created_at',
      'updated_at',
    ]);
    const origin = new URL(response.request.url).origin;
    expect(response.headers.location).toBe(`${origin}/api/image/${id}`);
    expect(await countRows(dataSource, 'images')).toBe(countBefore + 1);
  });

  it('should take a token whose sub is 255 code points (emoji) and record it as the actor exactly', async () => {
    const sub = `${'😀'.repeat(250)}alice`;
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(signTestToken({ sub })))
      .send({ path: 'anime/long-sub/cover.jpg', facet: 'Cover' })
      .expect(201);
    const events = await context().dataSource.query<{ actor: string }[]>(
      'SELECT actor FROM image_event_outbox WHERE image_id = ?',
      [response.body.image.image_id],
    );
    expect(events).toEqual([{ actor: sub }]);
  });

  it.each([
    ['Small Cover', 0],
    ['small cover', 0],
    ['COVER', 1],
    ['Large Cover', 1],
    ['large COVER', 1],
    ['grill', 2],
    [0, 0],
    [1, 1],
    [2, 2],
    ['0', 0],
    ['2', 2],
  ])('should accept the facet %j and store %i', async (facet, stored) => {
    const response = await create({ path: 'facet/test.jpg', facet }).expect(201);
    const row = await readImageRow(context().dataSource, response.body.image.image_id as number);
    expect(row?.facet).toBe(stored);
    expect(response.body.image.facet).toBe(FACET_NAMES[stored]);
  });

  it.each([
    'a',
    'a'.repeat(255),
    'anime/re-zero/cover.jpg',
    '.hidden/a..b/c..d.jpg',
    'dir/.../file.jpg',
    'アニメ/カバー 1.jpg',
    'with space/and+plus.jpg',
  ])('should accept the valid relative path %j', async (path) => {
    const response = await create({ path, facet: 'Cover' }).expect(201);
    const row = await readImageRow(context().dataSource, response.body.image.image_id as number);
    expect(row?.path).toBe(path);
  });

  it('should ignore unknown body keys, including ones naming columns', async () => {
    const response = await create({
      path: 'ignored/keys.jpg',
      facet: 'Grill',
      image_id: 1,
      deleted_at: '2024-01-01 00:00:00',
      created_at: '2000-01-01 00:00:00',
      link: 'https://evil.example/x.jpg',
      extra: { nested: true },
    }).expect(201);
    const id = response.body.image.image_id as number;
    const row = await readImageRow(context().dataSource, id);
    expect(row?.deleted_at).toBeNull();
    expect(row?.created_at.startsWith('2000')).toBe(false);
    expect(response.body).toEqual({ image: expectedImage(row!) });
  });

  const FACET_CHOICES = 'Small Cover, Cover, Grill (or 0, 1, 2)';
  const invalidBodies: [string, unknown, Record<string, string[]>][] = [
    [
      'an empty object',
      {},
      { path: ['The path field is required.'], facet: ['The facet field is required.'] },
    ],
    ['no path', { facet: 'Cover' }, { path: ['The path field is required.'] }],
    ['no facet', { path: 'a.jpg' }, { facet: ['The facet field is required.'] }],
    ['a null path', { path: null, facet: 'Cover' }, { path: ['The path field is required.'] }],
    ['a null facet', { path: 'a.jpg', facet: null }, { facet: ['The facet field is required.'] }],
    [
      'a numeric path',
      { path: 12, facet: 'Cover' },
      { path: ['The path field must be a string.'] },
    ],
    [
      'an array path',
      { path: ['a'], facet: 'Cover' },
      { path: ['The path field must be a string.'] },
    ],
    [
      'an empty path',
      { path: '', facet: 'Cover' },
      { path: ['The path field must not be empty.'] },
    ],
    [
      'a 256-character path',
      { path: 'a'.repeat(256), facet: 'Cover' },
      { path: ['The path field must not be greater than 255 characters.'] },
    ],
    [
      'a leading slash',
      { path: '/etc/passwd', facet: 'Cover' },
      { path: ['The path field must be a relative path (no leading /).'] },
    ],
    [
      'a leading .. segment',
      { path: '../secret.jpg', facet: 'Cover' },
      { path: ["The path field must not contain a '..' segment."] },
    ],
    [
      'an inner .. segment',
      { path: 'anime/../../secret.jpg', facet: 'Cover' },
      { path: ["The path field must not contain a '..' segment."] },
    ],
    [
      'a trailing .. segment',
      { path: 'anime/..', facet: 'Cover' },
      { path: ["The path field must not contain a '..' segment."] },
    ],
    [
      'a backslash',
      { path: 'anime\\cover.jpg', facet: 'Cover' },
      { path: ['The path field must not contain a backslash.'] },
    ],
    [
      'a NUL character',
      { path: 'anime/\u0000.jpg', facet: 'Cover' },
      { path: ['The path field must not contain control characters.'] },
    ],
    [
      'a newline',
      { path: 'anime/a\nb.jpg', facet: 'Cover' },
      { path: ['The path field must not contain control characters.'] },
    ],
    [
      'a DEL character',
      { path: 'anime/a\u007fb.jpg', facet: 'Cover' },
      { path: ['The path field must not contain control characters.'] },
    ],
    [
      'an https URL',
      { path: 'https://evil.example/x.jpg', facet: 'Cover' },
      { path: ['The path field must be a relative path, not a URL.'] },
    ],
    [
      'a javascript: URL',
      { path: 'javascript:alert(1)', facet: 'Cover' },
      { path: ['The path field must be a relative path, not a URL.'] },
    ],
    [
      'a protocol-relative URL',
      { path: '//evil.example/x.jpg', facet: 'Cover' },
      { path: ['The path field must be a relative path (no leading /).'] },
    ],
    // Found by a black-box probe: a URL parser drops the spaces around its input.
    [
      'a javascript: URL after a space',
      { path: ' javascript:alert(1)', facet: 'Cover' },
      { path: ['The path field must be a relative path, not a URL.'] },
    ],
    [
      'a protocol-relative URL after a space',
      { path: ' //evil.example/x.jpg', facet: 'Cover' },
      { path: ['The path field must be a relative path (no leading /).'] },
    ],
    [
      "a '..' segment with a space after it",
      { path: 'a/.. ', facet: 'Cover' },
      { path: ["The path field must not contain a '..' segment."] },
    ],
    [
      'an unknown facet name',
      { path: 'a.jpg', facet: 'Banner' },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'a facet name with spaces around it',
      { path: 'a.jpg', facet: ' Cover ' },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'facet 3',
      { path: 'a.jpg', facet: 3 },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'facet -1',
      { path: 'a.jpg', facet: -1 },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'facet 1.5',
      { path: 'a.jpg', facet: 1.5 },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'facet "3"',
      { path: 'a.jpg', facet: '3' },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'facet true',
      { path: 'a.jpg', facet: true },
      { facet: [`The facet field must be one of: ${FACET_CHOICES}.`] },
    ],
    [
      'both fields invalid',
      { path: '../x', facet: 'Banner' },
      {
        path: ["The path field must not contain a '..' segment."],
        facet: [`The facet field must be one of: ${FACET_CHOICES}.`],
      },
    ],
    ['a JSON array body', [], { body: ['The request body must be a JSON object.'] }],
    ['a JSON string body', 'cover', { body: ['The request body must be a JSON object.'] }],
  ];

  it.each(invalidBodies)(
    'should answer 422 to %s and create nothing',
    async (_case, body, errors) => {
      const { dataSource } = context();
      const before = await countRows(dataSource, 'images');
      const request = context()
        .http()
        .post('/api/image')
        .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
        .set('Content-Type', 'application/json');
      const response = await request.send(JSON.stringify(body)).expect(422);
      expect(response.body).toEqual({ message: Object.values(errors)[0][0], errors });
      expect(await countRows(dataSource, 'images')).toBe(before);
    },
  );

  it('should answer 422 with both required errors when no body is sent at all', async () => {
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .expect(422);
    expect(response.body).toEqual({
      message: 'The path field is required.',
      errors: { path: ['The path field is required.'], facet: ['The facet field is required.'] },
    });
  });

  it('should answer 400 to malformed JSON and create nothing', async () => {
    const before = await countRows(context().dataSource, 'images');
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .set('Content-Type', 'application/json')
      .send('{"path": "a.jpg", "facet": ')
      .expect(400);
    expect(response.body).toEqual({ message: 'Malformed JSON body.' });
    expect(await countRows(context().dataSource, 'images')).toBe(before);
  });

  it('should answer 415 to a text/plain body and create nothing', async () => {
    const before = await countRows(context().dataSource, 'images');
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .set('Content-Type', 'text/plain')
      .send('{"path": "a.jpg", "facet": "Cover"}')
      .expect(415);
    expect(response.body).toEqual({
      message: 'Unsupported Media Type: send the body as application/json.',
    });
    expect(await countRows(context().dataSource, 'images')).toBe(before);
  });

  it('should answer 415 to a form-encoded body and create nothing', async () => {
    const before = await countRows(context().dataSource, 'images');
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('path=a.jpg&facet=Cover')
      .expect(415);
    expect(response.body).toEqual({
      message: 'Unsupported Media Type: send the body as application/json.',
    });
    expect(await countRows(context().dataSource, 'images')).toBe(before);
  });

  it('should answer 413 to a body over 1 MB and create nothing', async () => {
    const before = await countRows(context().dataSource, 'images');
    const body = JSON.stringify({
      path: 'a.jpg',
      facet: 'Cover',
      padding: 'x'.repeat(1024 * 1024),
    });
    const response = await context()
      .http()
      .post('/api/image')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(413);
    expect(response.body).toEqual({ message: 'The request body is larger than 1 MB.' });
    expect(await countRows(context().dataSource, 'images')).toBe(before);
  });
});

describeEachDatabase(
  'POST /api/image with PUBLIC_URL',
  (context) => {
    it('should build the Location header from PUBLIC_URL and the API prefix', async () => {
      const response = await context()
        .http()
        .post('/v2/image')
        .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
        .send({ path: 'a.jpg', facet: 'Cover' })
        .expect(201);
      expect(response.headers.location).toBe(
        `https://images.example.com/base/v2/image/${response.body.image.image_id}`,
      );
    });

    it('should serve the unprefixed restore spelling even with another API_PREFIX', async () => {
      const image = await insertImageRow(context().dataSource, {
        deleted_at: '2024-03-01 00:00:00',
      });
      await context()
        .http()
        .patch(`/restore/image/${image.image_id}`)
        .set('Authorization', bearer(tokenWith(Permission.RestoreImage)))
        .expect(200);
      await context()
        .http()
        .patch(`/api/restore/image/${image.image_id}`)
        .set('Authorization', bearer(tokenWith(Permission.RestoreImage)))
        .expect(404);
    });
  },
  { env: { PUBLIC_URL: 'https://images.example.com/base/', API_PREFIX: 'v2' } },
);

describeEachDatabase('PUT and PATCH /api/image/:id', (context) => {
  describe.each(['put', 'patch'] as const)('%s', (method) => {
    const update = (id: number, body?: unknown) => {
      const request = context()
        .http()
        [method](`/api/image/${id}`)
        .set('Authorization', bearer(tokenWith(Permission.UpdateImage)));
      return body === undefined ? request : request.send(body as object);
    };

    it('should change the path, move updated_at and keep the rest', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, { path: 'old/path.jpg', facet: 0 });
      const response = await update(image.image_id, { path: 'new/path.jpg' }).expect(200);
      const row = await readImageRow(dataSource, image.image_id);
      expect(row).toEqual({
        ...image,
        path: 'new/path.jpg',
        updated_at: expect.stringMatching(/^\d{4}-/),
      });
      expect(row!.updated_at > image.updated_at).toBe(true);
      expect(response.body).toEqual({ image: expectedImage(row!) });
    });

    it('should change the facet given by its AnimeThemes name', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, { facet: 2 });
      const response = await update(image.image_id, { facet: 'Large Cover' }).expect(200);
      const row = await readImageRow(dataSource, image.image_id);
      expect(row?.facet).toBe(1);
      expect(row!.updated_at > image.updated_at).toBe(true);
      expect(response.body.image.facet).toBe('Cover');
    });

    it('should treat a path differing only in letter case as a change', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, { path: 'case/cover.jpg' });
      await update(image.image_id, { path: 'case/Cover.jpg' }).expect(200);
      const row = await readImageRow(dataSource, image.image_id);
      expect(row?.path).toBe('case/Cover.jpg');
      expect(row!.updated_at > image.updated_at).toBe(true);
    });

    it.each([
      ['the same values', (image: ImageRecord) => ({ path: image.path, facet: image.facet })],
      ['the same facet by name', () => ({ facet: 'cover' })],
      ['an empty object', () => ({})],
      ['only unknown keys', () => ({ deleted_at: null, image_id: 5, extra: 'x' })],
    ])('should keep updated_at when given %s', async (_case, body) => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, { facet: 1 });
      const response = await update(image.image_id, body(image)).expect(200);
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
      expect(response.body).toEqual({ image: expectedImage(image) });
    });

    it('should keep updated_at when no body is sent at all', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource);
      const response = await update(image.image_id).expect(200);
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
      expect(response.body).toEqual({ image: expectedImage(image) });
    });

    it('should answer 404 for a soft-deleted image and leave it alone', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, { deleted_at: '2024-02-02 10:00:00.000000' });
      const response = await update(image.image_id, { path: 'x.jpg' }).expect(404);
      expect(response.body).toEqual(notFound(image.image_id));
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
    });

    it.each<[string, unknown, Record<string, string[]>]>([
      ['an empty path', { path: '' }, { path: ['The path field must not be empty.'] }],
      ['a null path', { path: null }, { path: ['The path field must be a string.'] }],
      [
        'an absolute path',
        { path: '/x.jpg', facet: 'Cover' },
        { path: ['The path field must be a relative path (no leading /).'] },
      ],
      [
        'an unknown facet',
        { facet: 'Banner' },
        { facet: ['The facet field must be one of: Small Cover, Cover, Grill (or 0, 1, 2).'] },
      ],
      [
        'a null facet',
        { facet: null },
        { facet: ['The facet field must be one of: Small Cover, Cover, Grill (or 0, 1, 2).'] },
      ],
      [
        'a valid path with an invalid facet',
        { path: 'fine.jpg', facet: 7 },
        { facet: ['The facet field must be one of: Small Cover, Cover, Grill (or 0, 1, 2).'] },
      ],
      [
        'a JSON array body',
        [{ path: 'a.jpg' }],
        { body: ['The request body must be a JSON object.'] },
      ],
    ])('should answer 422 to %s and change nothing', async (_case, body, errors) => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource);
      const response = await context()
        .http()
        [method](`/api/image/${image.image_id}`)
        .set('Authorization', bearer(tokenWith(Permission.UpdateImage)))
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body))
        .expect(422);
      expect(response.body).toEqual({ message: Object.values(errors)[0][0], errors });
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
    });

    it('should answer 415 to a text/plain body and change nothing', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource);
      await context()
        .http()
        [method](`/api/image/${image.image_id}`)
        .set('Authorization', bearer(tokenWith(Permission.UpdateImage)))
        .set('Content-Type', 'text/plain')
        .send('path=x.jpg')
        .expect(415);
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
    });
  });
});

describeEachDatabase('DELETE /api/image/:id (soft delete)', (context) => {
  const softDelete = (id: number) =>
    context()
      .http()
      .delete(`/api/image/${id}`)
      .set('Authorization', bearer(tokenWith(Permission.DeleteImage)));

  it('should set deleted_at, move updated_at to the same instant, keep the pivots and answer the image', async () => {
    const { dataSource } = context();
    const image = await insertImageRow(dataSource, { facet: 2 });
    await attachEveryRelation(dataSource, image.image_id, image.image_id);
    const response = await softDelete(image.image_id).expect(200);
    const row = await readImageRow(dataSource, image.image_id);
    expect(row).toEqual({
      ...image,
      updated_at: expect.stringMatching(/^\d{4}-/),
      deleted_at: row?.updated_at,
    });
    expect(row!.updated_at > image.updated_at).toBe(true);
    expect(response.body).toEqual({ image: expectedImage(row!) });
    expect(await pivotCounts(dataSource, image.image_id)).toEqual({
      anime_image: 1,
      artist_image: 1,
      studio_image: 1,
      playlist_image: 1,
    });
  });

  it('should answer 404 for an image already in the trash and leave it alone', async () => {
    const { dataSource } = context();
    const image = await insertImageRow(dataSource, { deleted_at: '2024-02-02 10:00:00.000000' });
    const response = await softDelete(image.image_id).expect(404);
    expect(response.body).toEqual(notFound(image.image_id));
    expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
  });

  it('should ignore a JSON body', async () => {
    const image = await insertImageRow(context().dataSource);
    await softDelete(image.image_id).send({ path: '/nonsense' }).expect(200);
    expect((await readImageRow(context().dataSource, image.image_id))?.path).toBe(image.path);
  });
});

describeEachDatabase('PATCH restore/image/:id', (context) => {
  describe.each(['/api/restore/image', '/restore/image'])('%s', (base) => {
    const restore = (id: number) =>
      context()
        .http()
        .patch(`${base}/${id}`)
        .set('Authorization', bearer(tokenWith(Permission.RestoreImage)));

    it('should clear deleted_at, move updated_at and answer the image', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, { deleted_at: '2024-02-02 10:00:00.000000' });
      const response = await restore(image.image_id).expect(200);
      const row = await readImageRow(dataSource, image.image_id);
      expect(row).toEqual({
        ...image,
        updated_at: expect.stringMatching(/^\d{4}-/),
        deleted_at: null,
      });
      expect(row!.updated_at > image.updated_at).toBe(true);
      expect(response.body).toEqual({ image: expectedImage(row!) });
    });

    it('should answer 200 and change nothing for a live image', async () => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource);
      const response = await restore(image.image_id).expect(200);
      expect(await readImageRow(dataSource, image.image_id)).toEqual(image);
      expect(response.body).toEqual({ image: expectedImage(image) });
    });
  });
});

describeEachDatabase('DELETE forceDelete/image/:id', (context) => {
  describe.each(['/api/forceDelete/image', '/forceDelete/image'])('%s', (base) => {
    const forceDelete = (id: number) =>
      context()
        .http()
        .delete(`${base}/${id}`)
        .set('Authorization', bearer(tokenWith(Permission.ForceDeleteImage)));

    it.each([
      ['a live image', null],
      ['a soft-deleted image', '2024-02-02 10:00:00.000000'],
    ])('should remove %s and its pivot rows, and nothing else', async (_case, deletedAt) => {
      const { dataSource } = context();
      const image = await insertImageRow(dataSource, {
        path: "anime/it's here.jpg",
        deleted_at: deletedAt,
      });
      const neighbour = await insertImageRow(dataSource);
      await attachEveryRelation(dataSource, image.image_id, image.image_id);
      await attachEveryRelation(dataSource, neighbour.image_id, image.image_id);
      const relatedBefore = {
        anime: await countRows(dataSource, 'anime'),
        artists: await countRows(dataSource, 'artists'),
        studios: await countRows(dataSource, 'studios'),
        playlists: await countRows(dataSource, 'playlists'),
      };

      const response = await forceDelete(image.image_id).expect(200);

      expect(response.body).toEqual({ message: "Image 'anime/it's here.jpg' was deleted." });
      expect(await readImageRow(dataSource, image.image_id)).toBeUndefined();
      expect(await pivotCounts(dataSource, image.image_id)).toEqual({
        anime_image: 0,
        artist_image: 0,
        studio_image: 0,
        playlist_image: 0,
      });
      expect(await readImageRow(dataSource, neighbour.image_id)).toEqual(neighbour);
      expect(await pivotCounts(dataSource, neighbour.image_id)).toEqual({
        anime_image: 1,
        artist_image: 1,
        studio_image: 1,
        playlist_image: 1,
      });
      expect({
        anime: await countRows(dataSource, 'anime'),
        artists: await countRows(dataSource, 'artists'),
        studios: await countRows(dataSource, 'studios'),
        playlists: await countRows(dataSource, 'playlists'),
      }).toEqual(relatedBefore);
    });

    it('should answer 404 the second time', async () => {
      const image = await insertImageRow(context().dataSource);
      await forceDelete(image.image_id).expect(200);
      const response = await forceDelete(image.image_id).expect(404);
      expect(response.body).toEqual(notFound(image.image_id));
    });
  });
});
