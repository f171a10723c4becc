import { Permission } from '../src/auth/permissions';
import { pngFile } from '../src/storage/testing/image-files';
import { multipartForm } from '../src/storage/testing/multipart-form';
import { countRows, readImageRow } from './helpers/image-rows';
import { listenOnFreePort } from './helpers/ports';
import { rawHttp } from './helpers/raw-http';
import { describeEachDatabase, listeningTestApp } from './helpers/test-app';
import { bearer, tokenWith } from './helpers/tokens';

// Found by a black-box probe: Node ended a connection as soon as its client half-closed it, so a
// client that sent its request and then its FIN (`nc -N`, some proxies) got no answer, while its
// write committed.
describeEachDatabase('a client that half-closes after its request', (context) => {
  let port: number;
  beforeAll(async () => {
    port = await listenOnFreePort(context().app);
  });

  it('should get the 201 of a JSON create, and the row is stored once', async () => {
    const before = await countRows(context().dataSource, 'images');
    const body = '{"path":"half/close.png","facet":"Cover"}';
    const answer = await rawHttp(
      port,
      'POST /api/image HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: ${bearer(tokenWith(Permission.CreateImage))}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
      5000,
      { halfClose: true },
    );
    expect(answer.status).toBe(201);
    expect(answer.closedByServer).toBe(true);
    const created = JSON.parse(answer.body) as { image: { image_id: number; path: string } };
    expect(created.image).toMatchObject({ path: 'half/close.png', facet: 'Cover' });
    expect(await countRows(context().dataSource, 'images')).toBe(before + 1);
    expect(await readImageRow(context().dataSource, created.image.image_id)).toMatchObject({
      path: 'half/close.png',
      facet: 1,
    });
  });

  it('should get the 201 of an upload', async () => {
    const { body, contentType } = multipartForm([
      { name: 'facet', value: 'Grill' },
      { name: 'file', content: pngFile(), filename: 'half.png' },
    ]);
    const head =
      'POST /api/image HTTP/1.1\r\nHost: localhost\r\n' +
      `Authorization: ${bearer(tokenWith(Permission.CreateImage))}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await rawHttp(port, Buffer.concat([Buffer.from(head), body]), 5000, {
      halfClose: true,
    });
    expect(answer.status).toBe(201);
    const created = JSON.parse(answer.body) as { image: { image_id: number } };
    expect(await readImageRow(context().dataSource, created.image.image_id)).toMatchObject({
      facet: 2,
    });
  });

  it('should answer every request pipelined before the FIN, in order, then close', async () => {
    const get = (id: number) => `GET /api/image/${id} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    const answer = await rawHttp(port, `${get(999_997)}${get(999_998)}${get(999_999)}`, 5000, {
      halfClose: true,
    });
    expect(answer.text.match(/HTTP\/1\.1 \d{3}|Image \d+ not found/g)).toEqual([
      'HTTP/1.1 404',
      'Image 999997 not found',
      'HTTP/1.1 404',
      'Image 999998 not found',
      'HTTP/1.1 404',
      'Image 999999 not found',
    ]);
    expect(answer.closedByServer).toBe(true);
  });
});

// Found by a black-box probe: Node kept a request's first 1,000 header lines only, so a second
// Authorization, Host or Content-Type placed after a thousand others went unseen.
describeEachDatabase('duplicate headers after a thousand others', (context) => {
  let port: number;
  /** 1,100 short header lines (about 12 KiB, under the 16 KiB limit of a request's head). */
  const filler = Array.from({ length: 1100 }, (_, index) => `x${index}: y\r\n`).join('');
  const body = '{"path":"many/headers.png","facet":"Cover"}';
  const create = (headers: string) =>
    `POST /api/image HTTP/1.1\r\nHost: localhost\r\n${headers}` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;

  beforeAll(async () => {
    port = await listenOnFreePort(context().app);
  });

  it.each([
    [
      'Authorization',
      (token: string) =>
        `Content-Type: application/json\r\nAuthorization: ${token}\r\n${filler}Authorization: Bearer junk\r\n`,
      401,
      'Unauthenticated.',
    ],
    [
      'Host',
      (token: string) =>
        `Content-Type: application/json\r\nAuthorization: ${token}\r\n${filler}Host: evil.example\r\n`,
      400,
      'The Host header must be a host name or address, with an optional port.',
    ],
    [
      'Content-Type',
      (token: string) =>
        `Content-Type: application/json\r\nAuthorization: ${token}\r\n${filler}Content-Type: text/plain\r\n`,
      415,
      'Send one Content-Type header.',
    ],
  ])(
    'should see a second %s line and refuse it, writing nothing',
    async (_name, headers, status, message) => {
      const before = await countRows(context().dataSource, 'images');
      const answer = await rawHttp(
        port,
        create(headers(bearer(tokenWith(Permission.CreateImage)))),
      );
      expect({ status: answer.status, body: JSON.parse(answer.body) as unknown }).toEqual({
        status,
        body: { message },
      });
      expect(await countRows(context().dataSource, 'images')).toBe(before);
    },
  );

  it('should read a lone Authorization placed after a thousand other lines', async () => {
    const answer = await rawHttp(
      port,
      create(
        `Content-Type: application/json\r\n${filler}Authorization: ${bearer(tokenWith(Permission.CreateImage))}\r\n`,
      ),
    );
    expect(answer.status).toBe(201);
  });
});

// Found by a black-box probe: no route upgrades a connection, and Node's parser reads nothing more
// of one after a request asking to; the requests behind it hung unanswered until the keep-alive
// timeout (72 s). The HTTP layer is the same whatever the database: SQLite only.
describe('a request asking to upgrade its connection', () => {
  const port = listeningTestApp();

  it('should be answered as any other, with Connection: close, and the connection closes at once', async () => {
    const answer = await rawHttp(
      port(),
      'GET /api/image/999999 HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' +
        'GET /api/image/999998 HTTP/1.1\r\nHost: localhost\r\n\r\n',
      10_000,
    );
    expect(answer.status).toBe(404);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toBe('{"message":"Image 999999 not found."}');
    expect(answer.closedByServer).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(5000);
  });
});
