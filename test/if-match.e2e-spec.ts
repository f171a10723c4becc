import { Permission } from '../src/auth/permissions';
import {
  attachEveryRelation,
  countRows,
  insertImageRow,
  OLD_TIMESTAMP,
  readImageRow,
} from './helpers/image-rows';
import { describeEachDatabase } from './helpers/test-app';
import { signTestToken } from './helpers/tokens';

const PRECONDITION_FAILED = { message: 'Precondition Failed.' };

type Write = {
  readonly name: string;
  readonly method: 'put' | 'patch' | 'delete';
  readonly path: (id: number) => string;
  readonly body?: object;
  /** The image starts in the trash (restore works on trashed images only). */
  readonly trashed?: boolean;
  readonly success: number;
};

const WRITES: Write[] = [
  {
    name: 'PUT',
    method: 'put',
    path: (id) => `/api/image/${id}`,
    body: { path: 'if-match/put.jpg', facet: 'Grill' },
    success: 200,
  },
  {
    name: 'PATCH',
    method: 'patch',
    path: (id) => `/api/image/${id}`,
    body: { path: 'if-match/patch.jpg' },
    success: 200,
  },
  { name: 'DELETE', method: 'delete', path: (id) => `/api/image/${id}`, success: 200 },
  {
    name: 'restore',
    method: 'patch',
    path: (id) => `/api/restore/image/${id}`,
    trashed: true,
    success: 200,
  },
  {
    name: 'force delete',
    method: 'delete',
    path: (id) => `/api/forceDelete/image/${id}`,
    success: 200,
  },
  {
    name: 'force delete (unprefixed)',
    method: 'delete',
    path: (id) => `/forceDelete/image/${id}`,
    success: 200,
  },
];

/**
 * `If-Match` on the image writes (API.md section 10): the ETag of `GET /api/image/:id` (no query)
 * or `*` lets the write through; a stale tag is 412 `{"message": "Precondition Failed."}`, checked
 * after 404, and nothing changes (row, pivots, outbox). Tags are checked inside the write's
 * transaction, after the row is locked.
 */
describeEachDatabase('If-Match on image writes', (context) => {
  const token = signTestToken();
  const events = () => countRows(context().dataSource, 'image_event_outbox');
  const etagOf = async (id: number) => {
    const response = await context().http().get(`/api/image/${id}`).expect(200);
    return response.headers.etag;
  };
  const send = (write: Write, id: number, ifMatch?: string) => {
    const request = context()
      .http()
      [write.method](write.path(id))
      .set('Authorization', `Bearer ${token}`);
    if (ifMatch !== undefined) request.set('If-Match', ifMatch);
    return write.body === undefined ? request : request.send(write.body);
  };
  /** Some other write through the API: every tag handed out before it is stale now. */
  const changeSomething = async () => {
    const other = await insertImageRow(context().dataSource);
    await context()
      .http()
      .patch(`/api/image/${other.image_id}`)
      .set('Authorization', `Bearer ${token}`)
      .send({ path: `if-match/other-${other.image_id}.jpg` })
      .expect(200);
  };
  const fixture = async (write: Write) => {
    const image = await insertImageRow(context().dataSource, {
      deleted_at: write.trashed === true ? OLD_TIMESTAMP : null,
    });
    await attachEveryRelation(context().dataSource, image.image_id, image.image_id);
    return image;
  };
  const pivots = (id: number) =>
    Promise.all(
      ['anime_image', 'artist_image', 'studio_image', 'playlist_image'].map((table) =>
        countRows(context().dataSource, table, `image_id = ${id}`),
      ),
    );

  describe.each(WRITES)('$name', (write) => {
    it('should answer 412 to a stale ETag and change nothing', async () => {
      const image = await fixture(write);
      const stale = await etagOf(image.image_id);
      await changeSomething();
      const eventsBefore = await events();
      const answer = await send(write, image.image_id, stale);
      expect(answer.status).toBe(412);
      expect(answer.body).toEqual(PRECONDITION_FAILED);
      expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
      expect(await pivots(image.image_id)).toEqual([1, 1, 1, 1]);
      expect(await events()).toBe(eventsBefore + 0);
    });

    it('should let the current ETag through, alone or in a list, and `*`', async () => {
      const image = await fixture(write);
      const current = await etagOf(image.image_id);
      const answer = await send(write, image.image_id, `"stale-tag", ${current}`);
      expect(answer.status).toBe(write.success);
      expect(await readImageRow(context().dataSource, image.image_id)).not.toEqual(image);

      const another = await fixture(write);
      expect((await send(write, another.image_id, '*')).status).toBe(write.success);
    });

    it('should answer 404 before 412 for an image that is not there', async () => {
      const stale = await etagOf((await fixture(write)).image_id);
      await changeSomething();
      const answer = await send(write, 999_999, stale);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ message: 'Image 999999 not found.' });
      expect((await send(write, 999_999, '*')).status).toBe(404);
    });
  });

  it('should not take a weak ETag: If-Match compares strongly', async () => {
    const image = await insertImageRow(context().dataSource);
    const current = await etagOf(image.image_id);
    const answer = await send(WRITES[1], image.image_id, `W/${current}`);
    expect(answer.status).toBe(412);
    expect(answer.body).toEqual(PRECONDITION_FAILED);
    expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
  });

  it('should judge the precondition before the body (412, not 422) and after the token (401)', async () => {
    const image = await insertImageRow(context().dataSource);
    const stale = await etagOf(image.image_id);
    await changeSomething();
    const invalid = await context()
      .http()
      .patch(`/api/image/${image.image_id}`)
      .set('Authorization', `Bearer ${token}`)
      .set('If-Match', stale)
      .send({ facet: 'Nope' });
    expect(invalid.status).toBe(412);
    const anonymous = await context()
      .http()
      .patch(`/api/image/${image.image_id}`)
      .set('If-Match', stale)
      .send({ path: 'if-match/anonymous.jpg' });
    expect(anonymous.status).toBe(401);
    const forbidden = await context()
      .http()
      .patch(`/api/image/${image.image_id}`)
      .set('Authorization', `Bearer ${signTestToken({ permissions: [Permission.CreateImage] })}`)
      .set('If-Match', stale)
      .send({ path: 'if-match/forbidden.jpg' });
    expect(forbidden.status).toBe(403);
    expect(await readImageRow(context().dataSource, image.image_id)).toEqual(image);
  });

  it('should let exactly one of two writers holding the same ETag through', async () => {
    const image = await insertImageRow(context().dataSource);
    const current = await etagOf(image.image_id);
    const answers = await Promise.all(
      ['if-match/first.jpg', 'if-match/second.jpg'].map((path) =>
        context()
          .http()
          .patch(`/api/image/${image.image_id}`)
          .set('Authorization', `Bearer ${token}`)
          .set('If-Match', current)
          .send({ path }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
    const winner = answers.find((answer) => answer.status === 200)!;
    expect((await readImageRow(context().dataSource, image.image_id))?.path).toBe(
      (winner.body as { image: { path: string } }).image.path,
    );
  });
});
