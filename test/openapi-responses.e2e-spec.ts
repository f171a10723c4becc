import { Permission } from '../src/auth/permissions';
import { CREATE_VALIDATION_EXAMPLE } from '../src/image/image.openapi';
import {
  ANIME_ALL_FIELDS,
  ARTIST_ALL_FIELDS,
  IMAGE_ALL_FIELDS,
  IMAGES,
  PLAYLIST_ALL_FIELDS,
  seedReadFixtures,
  STUDIO_ALL_FIELDS,
} from './helpers/fixtures';
import { DocumentValidator, type OpenApiDocument } from './helpers/openapi-document';
import { describeEachDatabase } from './helpers/test-app';
import { bearer, signTestToken, tokenWith } from './helpers/tokens';

/** Every field of every type, every include, soft-deleted rows too: each key the document allows. */
const EVERYTHING =
  'include=anime,artists,studios,playlists&filter[trashed]=with' +
  `&fields[image]=${IMAGE_ALL_FIELDS.join(',')}&fields[anime]=${ANIME_ALL_FIELDS.join(',')}` +
  `&fields[artist]=${ARTIST_ALL_FIELDS.join(',')}&fields[studio]=${STUDIO_ALL_FIELDS.join(',')}` +
  `&fields[playlist]=${PLAYLIST_ALL_FIELDS.join(',')}`;

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
}

/**
 * Real answers of the service, success and error alike, checked against what /docs-json declares
 * for their route and status: the status is declared, the body validates against its schema
 * (ajv), and every declared header is sent.
 */
describeEachDatabase('OpenAPI document against real responses', (context) => {
  let validator: DocumentValidator;
  const token = bearer(signTestToken());

  beforeAll(async () => {
    await seedReadFixtures(context().dataSource);
    const response = await context().http().get('/docs-json').expect(200);
    validator = new DocumentValidator(response.body as OpenApiDocument);
  });

  function expectDocumented(operation: string, answer: Answer): void {
    expect(validator.problemsOf(operation, answer)).toEqual([]);
  }

  it('should match the list with every include and every field, over every image', async () => {
    const response = await context()
      .http()
      .get(`/api/image?${EVERYTHING}&page[size]=100`)
      .expect(200);
    expect((response.body as { images: unknown[] }).images).toHaveLength(IMAGES.length);
    expect(JSON.stringify(response.body)).toContain('"artistimage":{"depth":null}');
    expect(JSON.stringify(response.body)).toContain('"season":null');
    expectDocumented('GET /api/image', response);
  });

  it('should match the list with default fields, a next page and an empty page', async () => {
    const first = await context().http().get('/api/image?include=anime&page[size]=2').expect(200);
    expect((first.body as { links: { next: unknown } }).links.next).toEqual(expect.any(String));
    expectDocumented('GET /api/image', first);
    const empty = await context().http().get('/api/image?page[number]=99').expect(200);
    expect((empty.body as { meta: { from: unknown } }).meta.from).toBeNull();
    expectDocumented('GET /api/image', empty);
  });

  it('should match keyset pages: the first one, and the one its links.next names', async () => {
    const first = await context()
      .http()
      .get('/api/image?page[cursor]=&page[size]=2&include=artists')
      .expect(200);
    expect((first.body as { meta: { current_page: unknown } }).meta.current_page).toBeNull();
    expectDocumented('GET /api/image', first);
    const next = new URL((first.body as { links: { next: string } }).links.next);
    const second = await context().http().get(`${next.pathname}${next.search}`).expect(200);
    expect((second.body as { links: { prev: unknown } }).links.prev).toEqual(expect.any(String));
    expectDocumented('GET /api/image', second);
  });

  it('should match show, with every include and field, of a live and a soft-deleted image', async () => {
    for (const id of [1, 9, 11]) {
      const response = await context().http().get(`/api/image/${id}?${EVERYTHING}`).expect(200);
      expectDocumented('GET /api/image/{id}', response);
    }
    const plain = await context().http().get('/api/image/6?include=artists').expect(200);
    expectDocumented('GET /api/image/{id}', plain);
  });

  it('should match conditional reads: ETag and Cache-Control on 200, and 304 without a body', async () => {
    for (const [operation, url] of [
      ['GET /api/image', '/api/image?include=anime'],
      ['GET /api/image/{id}', '/api/image/1?include=anime'],
    ]) {
      // One Host for both requests: links, and so the tag, depend on it (supertest changes ports).
      const fresh = await context().http().get(url).set('Host', 'images.test').expect(200);
      expect(fresh.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expectDocumented(operation, fresh);
      const cached = await context()
        .http()
        .get(url)
        .set('Host', 'images.test')
        .set('If-None-Match', String(fresh.headers.etag))
        .expect(304);
      expect(cached.text).toBe('');
      expectDocumented(operation, cached);
    }
  });

  it('should match the 404 of show and the 422s of list and show', async () => {
    const missing = await context().http().get('/api/image/987654').expect(404);
    expect(missing.body).toEqual({ message: 'Image 987654 not found.' });
    expectDocumented('GET /api/image/{id}', missing);
    const badList = await context().http().get('/api/image?page[size]=101&sort=nope').expect(422);
    expectDocumented('GET /api/image', badList);
    const badShow = await context().http().get('/api/image/1?filter[has]=anime').expect(422);
    expectDocumented('GET /api/image/{id}', badShow);
  });

  it("should give the list and show 422 examples the parser's real bodies", async () => {
    const list = await context().http().get('/api/image?page[size]=101').expect(422);
    const show = await context().http().get('/api/image/1?page[size]=5').expect(422);
    const example = (operation: string) =>
      validator.response(operation, 422).content?.['application/json']?.example;
    expect(example('GET /api/image')).toEqual(list.body);
    expect(example('GET /api/image/{id}')).toEqual(show.body);
  });

  it('should match every write: create (201 + Location), update, replace, delete, restore, force delete', async () => {
    const created = await context()
      .http()
      .post('/api/image')
      .set('Authorization', token)
      .send({ path: 'anime/openapi.jpg', facet: 'Large Cover' })
      .expect(201);
    expectDocumented('POST /api/image', created);
    const id = (created.body as { image: { image_id: number } }).image.image_id;
    expect(created.headers.location).toMatch(new RegExp(`/api/image/${id}$`));

    const answers: [string, Answer][] = [
      [
        'PATCH /api/image/{id}',
        await context()
          .http()
          .patch(`/api/image/${id}`)
          .set('Authorization', token)
          .send({ facet: 'Grill' })
          .expect(200),
      ],
      [
        'PUT /api/image/{id}',
        await context()
          .http()
          .put(`/api/image/${id}`)
          .set('Authorization', token)
          .send({ path: 'anime/openapi-2.jpg' })
          .expect(200),
      ],
      [
        'DELETE /api/image/{id}',
        await context().http().delete(`/api/image/${id}`).set('Authorization', token).expect(200),
      ],
      [
        'PATCH /restore/image/{id}',
        await context()
          .http()
          .patch(`/restore/image/${id}`)
          .set('Authorization', token)
          .expect(200),
      ],
      [
        'PATCH /api/restore/image/{id}',
        await context()
          .http()
          .patch(`/api/restore/image/${id}`)
          .set('Authorization', token)
          .expect(200),
      ],
    ];
    for (const [operation, answer] of answers) expectDocumented(operation, answer);

    const gone = await context()
      .http()
      .delete(`/api/forceDelete/image/${id}`)
      .set('Authorization', token)
      .expect(200);
    expect(gone.body).toEqual({ message: "Image 'anime/openapi-2.jpg' was deleted." });
    expectDocumented('DELETE /api/forceDelete/image/{id}', gone);
    const again = await context()
      .http()
      .delete(`/forceDelete/image/${id}`)
      .set('Authorization', token)
      .expect(404);
    expectDocumented('DELETE /forceDelete/image/{id}', again);
  });

  it('should match 401 (with WWW-Authenticate) and 403 of the writes', async () => {
    const anonymous = await context()
      .http()
      .post('/api/image')
      .send({ path: 'a.jpg', facet: 1 })
      .expect(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expectDocumented('POST /api/image', anonymous);
    const forbidden = await context()
      .http()
      .delete('/api/image/1')
      .set('Authorization', bearer(tokenWith(Permission.CreateImage)))
      .expect(403);
    expectDocumented('DELETE /api/image/{id}', forbidden);
  });

  it('should match the body errors: 400, 413, 415 and the 422 whose example is the real one', async () => {
    const malformed = await context()
      .http()
      .post('/api/image')
      .set('Authorization', token)
      .set('Content-Type', 'application/json')
      .send('{"path":')
      .expect(400);
    expectDocumented('POST /api/image', malformed);
    const tooLarge = await context()
      .http()
      .patch('/api/image/1')
      .set('Authorization', token)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ path: 'x'.repeat(1024 * 1024) }))
      .expect(413);
    expectDocumented('PATCH /api/image/{id}', tooLarge);
    const notJson = await context()
      .http()
      .put('/api/image/1')
      .set('Authorization', token)
      .set('Content-Type', 'text/plain')
      .send('path=a.jpg')
      .expect(415);
    expectDocumented('PUT /api/image/{id}', notJson);

    const invalid = await context()
      .http()
      .post('/api/image')
      .set('Authorization', token)
      .send({})
      .expect(422);
    expectDocumented('POST /api/image', invalid);
    expect(invalid.body).toEqual(CREATE_VALIDATION_EXAMPLE);
    const invalidUpdate = await context()
      .http()
      .patch('/api/image/1')
      .set('Authorization', token)
      .send({ path: '' })
      .expect(422);
    expectDocumented('PATCH /api/image/{id}', invalidUpdate);
    expect(invalidUpdate.body).toEqual(
      validator.response('PATCH /api/image/{id}', 422).content?.['application/json']?.example,
    );
  });
});
