import { ImageClientError, isRetryableImageClientError } from './errors';
import { ImageClient } from './image-client';
import { retry } from './retry';
import type { PivotName } from './wire/pivots';

describe('ImageClient', () => {
  // Found by a probe: from plain JavaScript a typo in transport connected to NATS' default
  // address, and a servers number failed every call as a retryable outage.
  it.each<[string, unknown, string]>([
    [
      'no options',
      undefined,
      "ImageClient takes its options: { transport: 'tcp', port } or NATS ones",
    ],
    [
      'a transport it does not know',
      { transport: 'TCP', port: 4000 },
      `transport must be 'nats' or 'tcp' (got "TCP")`,
    ],
    [
      'a TCP client without a port',
      { transport: 'tcp' },
      'port must be an integer from 1 to 65535 (got undefined)',
    ],
    [
      'a TCP port as text',
      { transport: 'tcp', port: '4000' },
      'port must be an integer from 1 to 65535 (got "4000")',
    ],
    [
      'NATS servers as a number',
      { nats: { servers: 4222 } },
      'nats.servers must be a string or strings (got 4222)',
    ],
    [
      'NATS servers with a number',
      { nats: { servers: ['nats://a:4222', 4222] } },
      'nats.servers must be a string or strings (got nats://a:4222,4222)',
    ],
  ])('should refuse %s with a TypeError', (_, options, message) => {
    expect(() => new ImageClient(options as never)).toThrow(new TypeError(message));
  });

  it('should quote a timeoutMs given as text', () => {
    expect(
      () => new ImageClient({ transport: 'tcp', port: 1, timeoutMs: '1000' as never }),
    ).toThrow(
      new RangeError(
        'timeoutMs must be a positive number of milliseconds, at most 2147483647 (got "1000")',
      ),
    );
  });

  // Found by a probe: a closed client answered a retryable 503, and retry() tried to the end.
  it.each<[string, ConstructorParameters<typeof ImageClient>[0]]>([
    ['over TCP', { transport: 'tcp', port: 1 }],
    ['over NATS', { nats: { servers: 'nats://127.0.0.1:1' }, logger: false }],
  ])(
    'should reject a call on a closed client %s with an error retry() does not repeat',
    async (_, options) => {
      const client = new ImageClient(options);
      await client.close();
      let calls = 0;
      const rejected: unknown = await retry(() => {
        calls += 1;
        return client.list();
      }).catch((failure: unknown) => failure);
      expect(rejected).toEqual(
        new Error('The client is closed: make a new ImageClient to call the Image API again.'),
      );
      expect(isRetryableImageClientError(rejected)).toBe(false);
      expect(calls).toBe(1);
    },
  );

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
