import { stablePort } from './helpers/ports';
import { rawHttp } from './helpers/raw-http';
import { ServiceProcess } from './helpers/service-process';
import { waitFor } from './helpers/wait-for';

/**
 * Every answer leaves one log line with its `Request-Id`, also those the HTTP layer gives before
 * a route runs (found by a probe: a malformed URL, an unmet `Expect` and `CONNECT` left none, so
 * a client's id could not be found in the logs).
 */
describe('log lines of the answers the HTTP layer gives', () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    service = new ServiceProcess('http-layer-logging', await stablePort(), {
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      DEMO_DATA: 'false',
      JWT_SECRET: 'http-layer-logging-secret-0123456789abcdef',
    });
    await service.ready();
  }, 120_000);

  afterAll(() => service?.close());

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
});
