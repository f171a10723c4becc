import { Permission } from '../src/auth/permissions';
import { once } from 'node:events';
import { connect } from 'node:net';
import { beginDrain, MAX_PENDING_REQUESTS } from '../src/common/pipelining';
import { countRows, insertImageRow, readImageRow } from './helpers/image-rows';
import { listenOnFreePort } from './helpers/ports';
import { rawHttp } from './helpers/raw-http';
import { createTestApp, describeEachDatabase, TestApp } from './helpers/test-app';
import { tokenWith } from './helpers/tokens';

/** The answers in a raw byte stream, in order: status, lower-cased headers, body. */
function answersIn(
  text: string,
): { status: number; headers: Record<string, string>; body: string }[] {
  const answers = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = Buffer.from(rest.slice(headEnd + 4), 'utf8')
      .subarray(0, length)
      .toString('utf8');
    answers.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.slice(headEnd + 4 + body.length);
  }
  expect(rest).toBe('');
  return answers;
}

/**
 * HTTP/1.1 pipelining (API.md section 10, found by a black-box probe): a client that sent
 * thousands of requests in one go and read nothing made the process keep every answer until it
 * ran out of memory; and a malformed request after pipelined ones was answered before them, in
 * place of their answers. The HTTP server is the same whatever the database: SQLite only.
 */
describe('HTTP pipelining', () => {
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    testApp = await createTestApp('sqlite');
    port = await listenOnFreePort(testApp.app);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it(`should answer ${MAX_PENDING_REQUESTS} pipelined requests, then 429 and close, running nothing after`, async () => {
    const token = tokenWith(Permission.CreateImage);
    const before = await countRows(testApp.dataSource, 'images');
    const health = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const create =
      'POST /api/image HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${token}\r\nContent-Length: 37\r\n\r\n{"path":"p/late.png","facet":"Cover"}`;
    // A malformed request after them is not answered either: the 429 closes the connection.
    const answer = await rawHttp(port, `${health.repeat(40)}${create}GARBAGE\r\n\r\n`, 10_000);

    const answers = answersIn(answer.text);
    expect(answers.map((one) => one.status)).toEqual([
      ...Array<number>(MAX_PENDING_REQUESTS).fill(200),
      429,
    ]);
    const refusal = answers[MAX_PENDING_REQUESTS];
    expect(JSON.parse(refusal.body)).toEqual({ message: 'Too Many Attempts.' });
    expect(refusal.headers).toMatchObject({
      connection: 'close',
      'retry-after': '1',
      'request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'x-content-type-options': 'nosniff',
    });
    expect(answer.closedByServer).toBe(true);
    // The create pipelined after the refusal never ran.
    expect(await countRows(testApp.dataSource, 'images')).toBe(before);
    // Other connections are served as ever.
    const next = await rawHttp(
      port,
      'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(next.status).toBe(200);
  });

  it('should answer nothing after the 429, not even the refusal of a malformed request', async () => {
    const health = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
    for (const count of [17, 20, 40]) {
      const answer = await rawHttp(port, `${health.repeat(count)}GARBAGE\r\n\r\n`, 10_000);
      expect([count, answersIn(answer.text).map((one) => one.status)]).toEqual([
        count,
        [...Array<number>(MAX_PENDING_REQUESTS).fill(200), 429],
      ]);
      expect(answer.closedByServer).toBe(true);
    }
  });

  it('should answer pipelined requests before the malformed one after them, then close', async () => {
    const token = tokenWith(Permission.CreateImage);
    const before = await countRows(testApp.dataSource, 'images');
    const create =
      'POST /api/image HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${token}\r\nContent-Length: 38\r\n\r\n{"path":"p/first.png","facet":"Cover"}`;
    const show = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const malformed = 'GET /api/image/2 HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n';
    const answer = await rawHttp(port, create + show + malformed, 10_000);

    const answers = answersIn(answer.text);
    expect(answers.map((one) => one.status)).toEqual([201, 200, 400]);
    expect(JSON.parse(answers[0].body).image.path).toBe('p/first.png');
    expect(JSON.parse(answers[2].body)).toEqual({ message: 'Malformed HTTP request.' });
    expect(answers[2].headers.connection).toBe('close');
    expect(answer.closedByServer).toBe(true);
    expect(await countRows(testApp.dataSource, 'images')).toBe(before + 1);
  });
});

/**
 * Found by a probe: Node hands a connection's pipelined requests over all at once and only writes
 * their answers in order, so they ran at the same time. A `GET` after a `PATCH` answered the old
 * row; of two `PATCH`es the first could land last; a `DELETE` then a restore could leave the image
 * trashed, each answered 200. Now a connection's requests run one after the other.
 */
describeEachDatabase('HTTP pipelining: a connection runs its requests in order', (context) => {
  let port: number;
  const token = tokenWith(Permission.UpdateImage, Permission.DeleteImage, Permission.RestoreImage);

  beforeAll(async () => {
    port = await listenOnFreePort(context().app);
  });

  function request(method: string, path: string, body?: object, last = false): string {
    const json = body === undefined ? '' : JSON.stringify(body);
    return (
      `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
      (body === undefined
        ? ''
        : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n`) +
      (last ? 'Connection: close\r\n' : '') +
      `\r\n${json}`
    );
  }

  it('should read what the writes before it wrote, and apply the writes in the order sent', async () => {
    const { image_id: id } = await insertImageRow(context().dataSource);
    for (let round = 0; round < 8; round += 1) {
      const answer = await rawHttp(
        port,
        request('PATCH', `/api/image/${id}`, { path: `p/${round}-a.png` }) +
          request('PATCH', `/api/image/${id}`, { path: `p/${round}-b.png` }) +
          request('GET', `/api/image/${id}?fields[image]=path`, undefined, true),
        10_000,
      );
      const answers = answersIn(answer.text);
      const pathOf = (body: string) => (JSON.parse(body) as { image: { path: string } }).image.path;
      expect(answers.map((one) => [one.status, pathOf(one.body)])).toEqual([
        [200, `p/${round}-a.png`],
        [200, `p/${round}-b.png`],
        [200, `p/${round}-b.png`],
      ]);
      expect((await readImageRow(context().dataSource, id))?.path).toBe(`p/${round}-b.png`);
    }
  });

  it('should leave an image deleted then restored on one connection live', async () => {
    for (let round = 0; round < 8; round += 1) {
      const { image_id: id } = await insertImageRow(context().dataSource);
      const answer = await rawHttp(
        port,
        request('DELETE', `/api/image/${id}`) +
          request('PATCH', `/api/restore/image/${id}`) +
          request('GET', `/api/image/${id}?fields[image]=deleted_at`, undefined, true),
        10_000,
      );
      const answers = answersIn(answer.text);
      // Delete and restore render the default fields; the show asks for deleted_at.
      expect(answers.map((one) => one.status)).toEqual([200, 200, 200]);
      expect(JSON.parse(answers[2].body)).toEqual({ image: { deleted_at: null } });
      expect((await readImageRow(context().dataSource, id))?.deleted_at).toBeNull();
    }
  });

  // Found by a probe: the body parser's refusals close the connection, and the force delete and
  // create pipelined after them still committed, with no answer ever sent.
  it.each([
    ['malformed JSON', 'Content-Type: application/json', '{"facet":', 400],
    ['a compressed body', 'Content-Type: application/json\r\nContent-Encoding: gzip', '{}', 415],
  ])(
    'should run nothing pipelined after an answer that closes the connection (%s)',
    async (_kind, headers, body, status) => {
      const { dataSource } = context();
      const { image_id: id } = await insertImageRow(dataSource);
      const writer = tokenWith(Permission.ForceDeleteImage, Permission.CreateImage);
      const created = JSON.stringify({ path: `p/after-close-${id}.png`, facet: 'Cover' });
      const before = {
        images: await countRows(dataSource, 'images'),
        events: await countRows(dataSource, 'image_event_outbox'),
      };
      const answer = await rawHttp(
        port,
        `PATCH /api/image/${id} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          `${headers}\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
          `DELETE /api/forceDelete/image/${id} HTTP/1.1\r\nHost: localhost\r\n` +
          `Authorization: Bearer ${writer}\r\n\r\n` +
          `POST /api/image HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${writer}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${created.length}\r\n\r\n${created}`,
        10_000,
      );
      expect(answer.closedByServer).toBe(true);
      const answers = answersIn(answer.text);
      expect(answers.map((one) => [one.status, one.headers.connection])).toEqual([
        [status, 'close'],
      ]);
      expect((await readImageRow(dataSource, id))?.image_id).toBe(id);
      expect({
        images: await countRows(dataSource, 'images'),
        events: await countRows(dataSource, 'image_event_outbox'),
      }).toEqual(before);
    },
  );
});

/**
 * The start of a shutdown (graceful-shutdown.ts calls `beginDrain`; the whole process is tested in
 * faults/shutdown.e2e-spec.ts). Found by a probe: a request arriving then got Fastify's own 503
 * (`{"error": ..., "statusCode": 503}`, no Request-Id, no security headers, no log line), and the
 * answers in flight said `Connection: keep-alive` on connections about to close.
 */
describe('HTTP: the drain at shutdown', () => {
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    testApp = await createTestApp('sqlite');
    port = await listenOnFreePort(testApp.app);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it("should close the connection of an answer in flight, and answer what comes after in the contract's 503", async () => {
    const token = tokenWith(Permission.CreateImage);
    const body = JSON.stringify({ path: 'p/drain.png', facet: 'Cover' });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const closed = once(socket, 'close');
    socket.write(
      'POST /api/image HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await countRows(testApp.dataSource, 'images');
    beginDrain(testApp.app.getHttpAdapter().getInstance().server);
    // A create pipelined behind it is not run: its answer could never be sent.
    const second = JSON.stringify({ path: 'p/drain-2.png', facet: 'Cover' });
    socket.write(
      body.slice(5) +
        'POST /api/image HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${token}\r\nContent-Length: ${second.length}\r\n\r\n${second}`,
    );
    await closed;
    const answers = answersIn(received);
    expect(answers.map((answer) => answer.status)).toEqual([201]);
    expect(await countRows(testApp.dataSource, 'images')).toBe(before + 1);
    const [created] = answers;
    expect(created.status).toBe(201);
    expect(created.headers.connection).toBe('close');
    expect(created.headers['keep-alive']).toBeUndefined();

    const late = await rawHttp(
      port,
      'GET /api/image/1 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: after-the-signal\r\n\r\n',
    );
    expect(late.status).toBe(503);
    expect(JSON.parse(late.body)).toEqual({ message: 'Service Unavailable.' });
    expect(late.headers).toMatchObject({
      connection: 'close',
      'request-id': 'after-the-signal',
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
    });
    expect(late.closedByServer).toBe(true);
  });
});
