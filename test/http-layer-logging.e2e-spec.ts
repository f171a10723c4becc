import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stablePort } from './helpers/ports';
import { rawHttp } from './helpers/raw-http';
import { serveJwks } from './helpers/jwks-server';
import { ServiceProcess } from './helpers/service-process';
import { bearer, signTestToken } from './helpers/tokens';
import { waitFor } from './helpers/wait-for';

/**
 * Every answer leaves one log line with its `Request-Id`, also those the HTTP layer gives before
 * a route runs (found by a probe: a malformed URL, an unmet `Expect` and `CONNECT` left none, so
 * a client's id could not be found in the logs).
 */
describe('log lines of the answers the HTTP layer gives', () => {
  let service: ServiceProcess;
  /** The service's SQLite file, read by a test to see what was written. */
  const folder = mkdtempSync(join(tmpdir(), 'image-api-http-logging-'));
  const databaseFile = join(folder, 'db.sqlite');
  /** Tokens are checked against a JWKS the test serves, so that a test can hold one in the guard. */
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwksHeld = Promise.resolve();
  let jwks: Awaited<ReturnType<typeof serveJwks>>;

  beforeAll(async () => {
    jwks = await serveJwks({ key: publicKey }, {}, () => jwksHeld);
    service = new ServiceProcess('http-layer-logging', await stablePort(), {
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      DEMO_DATA: 'false',
      JWT_JWKS_URI: jwks.uri,
      DATABASE_URL: `sqlite:${databaseFile}`,
    });
    await service.ready();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await jwks?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** The log lines written for `requestId`, once there is at least one. */
  const linesOf = async (requestId: string): Promise<Record<string, unknown>[]> => {
    let lines: Record<string, unknown>[] = [];
    await waitFor(`a log line of ${requestId}`, () => {
      lines = service.output.stdout
        .split('\n')
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return lines.length > 0;
    });
    return lines;
  };

  it.each([
    [
      'a malformed percent escape',
      'GET /api/image/%ZZ HTTP/1.1\r\nHost: a\r\n\r\n',
      400,
      'GET',
      '/api/image/%ZZ',
    ],
    [
      'an Expect it cannot meet',
      'POST /api/image HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}',
      417,
      'POST',
      '/api/image',
    ],
    [
      'CONNECT',
      'CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n',
      404,
      'CONNECT',
      'example.com:80',
    ],
  ])(
    'should log %s once, with its Request-Id and status',
    async (_what, request, status, method, url) => {
      const answer = await rawHttp(service.port, request, 2000);
      expect(answer.status).toBe(status);
      const requestId = answer.headers['request-id'];
      expect(requestId).toEqual(expect.any(String));
      const lines = await linesOf(requestId);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 30,
          msg: 'request refused by the HTTP layer',
          req: { id: requestId, method, url },
          res: { statusCode: status },
        }),
      ]);
    },
  );

  // Found by a probe: Fastify's abort hook misses a request whose body it had read, so a write
  // whose client left while it ran committed with no line at all.
  it('should log a write whose client reset the connection while it ran, at info; the write is stored', async () => {
    const requestId = `reset-write-${Date.now()}`;
    const body = '{"path":"reset/write.png","facet":"Cover"}';
    const token = signTestToken({
      key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      algorithm: 'RS256',
      keyid: 'key',
    });
    let release = () => undefined as void;
    jwksHeld = new Promise((resolve) => (release = resolve));
    const socket = connect(service.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /api/image HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: ${bearer(token)}\r\nX-Request-Id: ${requestId}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    // The service has read the request and waits in its guard for the keys; the client gives up.
    await waitFor('the service asking for its keys', () => jwks.requests() > 0);
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect(await linesOf(requestId)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request aborted: the client closed the connection',
        req: { id: requestId, method: 'POST', url: '/api/image' },
      }),
    ]);
    const database = new Database(databaseFile, { readonly: true });
    let rows: unknown[] = [];
    await waitFor('the write', () => {
      rows = database
        .prepare("SELECT path, facet FROM images WHERE path = 'reset/write.png'")
        .all();
      return rows.length > 0;
    });
    database.close();
    expect(rows).toEqual([{ path: 'reset/write.png', facet: 1 }]);
    // Nothing else about it: neither a second line nor an error.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await linesOf(requestId)).toHaveLength(1);
  }, 30_000);
});
