import { ImageClientError, isRetryableImageClientError } from './errors';
import { ImageClient } from './image-client';
import type { PivotName } from './wire/pivots';

describe('ImageClient', () => {
  // Found by a black-box probe: from plain JavaScript an unknown pivot threw a TypeError.
  it('should reject a pivot name it does not know with the 404 its route would be', async () => {
    const client = new ImageClient({ transport: 'tcp', port: 1 });
    const error = new ImageClientError(
      404,
      'There is no pivot resource "foo": use animeimage, artistimage, studioimage, playlistimage.',
    );
    try {
      const foo = 'foo' as PivotName;
      await expect(client.attach('token', foo, 'slug', 1)).rejects.toEqual(error);
      await expect(client.detach('token', foo, 'slug', 1)).rejects.toEqual(error);
      await expect(client.showLink(foo, 'slug', 1)).rejects.toEqual(error);
      // Found by a probe: the list put any name into its NATS subject (a line break injects into
      // the protocol; a space made the broker drop the connection every call shares).
      await expect(client.listLinks(foo)).rejects.toEqual(error);
      await expect(client.listLinks('image' as PivotName)).rejects.toEqual(
        new ImageClientError(
          404,
          'There is no pivot resource "image": use animeimage, artistimage, studioimage, playlistimage.',
        ),
      );
      await expect(client.listLinks('animeimage\r\nPUB x 1' as PivotName)).rejects.toBeInstanceOf(
        ImageClientError,
      );
      await expect(
        client.attach('token', 'constructor' as PivotName, 'slug', 1),
      ).rejects.toBeInstanceOf(ImageClientError);
    } finally {
      await client.close();
    }
  });

  // Found by a probe: nats.js refused the header inside the call's try, and the client reported
  // a retryable 503 "could not be reached" for what is the caller's mistake.
  it.each(['tok\r\nen', 'tok\nen', 'Bearer tok\ren'])(
    'should refuse a token with a line break (%j) over NATS as a 400, at once and unsent',
    async (token) => {
      // Port 1: nothing listens, so a call that went on to connect would be a 503.
      const client = new ImageClient({ nats: { servers: 'nats://127.0.0.1:1' }, logger: false });
      try {
        const error: unknown = await client
          .create(token, { path: 'a.jpg', facet: 'Cover' })
          .catch((failure: unknown) => failure);
        expect(error).toEqual(
          new ImageClientError(
            400,
            'The Authorization header cannot be sent over NATS: its value has a line break (CR or LF).',
          ),
        );
        expect((error as Error).constructor).toBe(ImageClientError);
        expect(isRetryableImageClientError(error)).toBe(false);
        await expect(client.delete(token, 1)).rejects.toMatchObject({ status: 400 });
      } finally {
        await client.close();
      }
    },
  );
});
