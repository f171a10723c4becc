import type { Response } from 'supertest';
import { ImageClient } from '../packages/client/src/image-client';
import { ImageClientError } from '../packages/client/src/errors';
import { Permission } from '../src/auth/permissions';
import { seedReadFixtures } from './helpers/fixtures';
import { describeEachDatabase } from './helpers/test-app';
import { bearer, signTestToken, tokenWith } from './helpers/tokens';

const PUBLIC_URL = 'http://images.internal:8080';

/** An answer reduced to what HTTP and a transport must agree on (a transport has no 201). */
interface Answer {
  readonly status: number | 'ok';
  readonly body: unknown;
}

function httpAnswer(response: Response): Answer {
  return {
    status: response.status >= 200 && response.status < 300 ? 'ok' : response.status,
    body: response.body as unknown,
  };
}

async function messageAnswer(call: Promise<unknown>): Promise<Answer> {
  try {
    return { status: 'ok', body: await call };
  } catch (error) {
    if (error instanceof ImageClientError) {
      return { status: error.status, body: error.body };
    }
    throw error;
  }
}

/**
 * The pivot patterns over TCP, through the typed client, against the HTTP routes: the same
 * request gets the same body, or the same status and error body. Each write is done on HTTP and
 * undone before the transport does it (and the other way round), so both see the same state.
 */
describeEachDatabase(
  'pivot message patterns answer as the HTTP routes do',
  (context) => {
    let client: ImageClient;
    const token = signTestToken();
    const http = () => context().http();

    beforeAll(async () => {
      await seedReadFixtures(context().dataSource);
      client = new ImageClient({ transport: 'tcp', port: context().listeners.tcp!.port });
    });
    afterAll(async () => {
      await client.close();
    });

    it('should list and show as HTTP does, links included', async () => {
      const query = 'include=anime,image&filter[image][facet]=Cover&page[size]=2';
      expect(await messageAnswer(client.listLinks('animeimage', query))).toEqual(
        httpAnswer(await http().get(`/api/animeimage?${query}`)),
      );
      const objectQuery = { include: 'artist', sort: '-image_id' };
      expect(await messageAnswer(client.listLinks('artistimage', objectQuery))).toEqual(
        httpAnswer(await http().get('/api/artistimage?include=artist&sort=-image_id')),
      );
      expect(
        await messageAnswer(client.showLink('studioimage', 'sunrise', 8, 'include=image')),
      ).toEqual(httpAnswer(await http().get('/api/studioimage/sunrise/8?include=image')));
      for (const [parent, image] of [
        ['priv1', 2],
        ['pub1', 987],
        ['pub1', 'x'],
      ] as const) {
        const answer = await messageAnswer(client.showLink('playlistimage', parent, image));
        expect(answer).toEqual(
          httpAnswer(await http().get(`/api/playlistimage/${parent}/${image}`)),
        );
        expect(answer).toEqual({ status: 404, body: { message: 'Not Found.' } });
      }
      const refused = await messageAnswer(client.listLinks('animeimage', 'sort[anime]=name'));
      expect(refused).toEqual(httpAnswer(await http().get('/api/animeimage?sort[anime]=name')));
      expect(refused.status).toBe(422);
    });

    it('should attach, refuse a repeat, change depth and detach as HTTP does', async () => {
      const attach = () =>
        messageAnswer(client.attach(token, 'artistimage', 'yoko_kanno', 1, { depth: 3 }));
      const viaMessage = await attach();
      expect(viaMessage).toMatchObject({
        status: 'ok',
        body: { artistimage: { artist_id: 1, image_id: 1, depth: 3 } },
      });
      const repeat = await attach();
      expect(repeat).toEqual(
        httpAnswer(
          await http()
            .post('/api/artistimage/yoko_kanno/1')
            .set('Authorization', bearer(token))
            .send({ depth: 3 }),
        ),
      );
      expect(repeat).toEqual({
        status: 409,
        body: {
          message: "Image 'anime/cover/bebop.jpg' is already attached to Artist 'Yoko Kanno'.",
        },
      });

      const depth = await messageAnswer(client.updateDepth(token, 'yoko_kanno', 1, { depth: 4 }));
      expect(depth).toMatchObject({ status: 'ok', body: { artistimage: { depth: 4 } } });
      const bad = await messageAnswer(client.updateDepth(token, 'yoko_kanno', 1, { depth: 0 }));
      expect(bad).toEqual(
        httpAnswer(
          await http()
            .patch('/api/artistimage/yoko_kanno/1')
            .set('Authorization', bearer(token))
            .send({ depth: 0 }),
        ),
      );
      expect(bad.status).toBe(422);

      const detached = await messageAnswer(client.detach(token, 'artistimage', 'yoko_kanno', 1));
      expect(detached).toEqual({
        status: 'ok',
        body: {
          message: "Image 'anime/cover/bebop.jpg' has been detached from Artist 'Yoko Kanno'.",
        },
      });
      const again = await messageAnswer(client.detach(token, 'artistimage', 'yoko_kanno', 1));
      expect(again).toEqual(
        httpAnswer(
          await http().delete('/api/artistimage/yoko_kanno/1').set('Authorization', bearer(token)),
        ),
      );
      expect(again.status).toBe(404);
      const [{ count }] = await context().dataSource.query<{ count: number | string }[]>(
        'SELECT COUNT(*) AS count FROM artist_image WHERE artist_id = 1 AND image_id = 1',
      );
      expect(Number(count)).toBe(0);
    });

    it('should answer a missing parent with 404 before a malformed idempotency key, as HTTP does', async () => {
      const key = 'k'.repeat(256);
      // The same attach over TCP and over HTTP, with the key.
      const both = async (parent: string, image: number) => {
        const viaMessage = await messageAnswer(
          client.attach(token, 'animeimage', parent, image, {}, { idempotencyKey: key }),
        );
        const viaHttp = await http()
          .post(`/api/animeimage/${parent}/${image}`)
          .set('Authorization', bearer(token))
          .set('Idempotency-Key', key)
          .send({});
        expect(viaMessage).toEqual(httpAnswer(viaHttp));
        return viaMessage;
      };
      expect(await both('no-such-anime', 1)).toEqual({
        status: 404,
        body: { message: 'Not Found.' },
      });
      const invalid = 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.';
      expect(await both('trigun', 2)).toEqual({
        status: 422,
        body: { message: invalid, errors: { 'Idempotency-Key': [invalid] } },
      });
    });

    it('should check the token (401) and both permissions (403) as HTTP does', async () => {
      const cases: [string, string | undefined][] = [
        ['no token', undefined],
        ['one permission', tokenWith(Permission.CreateImage)],
        ['the other', tokenWith(Permission.CreatePlaylist)],
      ];
      for (const [what, candidate] of cases) {
        const viaMessage = await messageAnswer(
          client.attach(candidate ?? '', 'playlistimage', 'pub1', 3),
        );
        let request = http().post('/api/playlistimage/pub1/3');
        if (candidate !== undefined) request = request.set('Authorization', bearer(candidate));
        const viaHttp = httpAnswer(await request);
        expect({ what, ...viaMessage }).toEqual({ what, ...viaHttp });
        expect(viaHttp.status).toBe(candidate === undefined ? 401 : 403);
      }
    });

    it('should judge the envelope (400), the token (401), the permissions (403), then the link (404)', async () => {
      // A key that is neither a number nor a string is a 400 before the missing token is a 401.
      expect(await messageAnswer(client.detach('', 'artistimage', [1] as never, 1))).toEqual({
        status: 400,
        body: {
          message:
            'Malformed message: artist must be a number or a string; artistimage.detach takes {token?, artist, image}.',
        },
      });
      const missing = '/api/artistimage/yoko_kanno/999999';
      const detaches: [string, string | undefined, number][] = [
        ['no token', undefined, 401],
        ['one permission', tokenWith(Permission.DeleteImage), 403],
        ['both', tokenWith(Permission.DeleteArtist, Permission.DeleteImage), 404],
      ];
      for (const [what, candidate, status] of detaches) {
        const viaMessage = await messageAnswer(
          client.detach(candidate ?? '', 'artistimage', 'yoko_kanno', 999999),
        );
        let request = http().delete(missing);
        if (candidate !== undefined) request = request.set('Authorization', bearer(candidate));
        const viaHttp = httpAnswer(await request);
        expect({ what, ...viaMessage }).toEqual({ what, ...viaHttp });
        expect(viaHttp.status).toBe(status);
      }
      const updates: [string, string | undefined, number][] = [
        ['no token', undefined, 401],
        ['one permission', tokenWith(Permission.UpdateArtist), 403],
        ['both', tokenWith(Permission.UpdateArtist, Permission.UpdateImage), 404],
      ];
      for (const [what, candidate, status] of updates) {
        const viaMessage = await messageAnswer(
          client.updateDepth(candidate ?? '', 'yoko_kanno', 999999, { depth: 2 }),
        );
        let request = http().patch(missing).send({ depth: 2 });
        if (candidate !== undefined) request = request.set('Authorization', bearer(candidate));
        const viaHttp = httpAnswer(await request);
        expect({ what, ...viaMessage }).toEqual({ what, ...viaHttp });
        expect(viaHttp.status).toBe(status);
      }
    });
  },
  {
    listeners: true,
    env: { PUBLIC_URL, MICROSERVICE_PORT: '0', MICROSERVICE_HOST: '127.0.0.1' },
  },
);
