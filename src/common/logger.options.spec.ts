import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type LevelWithSilent } from 'pino';
import { accessLogHook } from './logger.options';

/** A pino logger writing into an array, as the service's logger writes to stdout. */
function capturingLogger(level: LevelWithSilent = 'info') {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

function accessLine(
  level: LevelWithSilent,
  request: { id: string; method: string; url: string },
  statusCode: number,
  elapsedTime: number,
): string[] {
  const { logger, lines } = capturingLogger(level);
  let called = 0;
  accessLogHook(logger)(
    request as unknown as FastifyRequest,
    { statusCode, elapsedTime } as unknown as FastifyReply,
    () => called++,
  );
  expect(called).toBe(1);
  return lines;
}

/** What pino itself writes for the same access line. */
function pinoLine(
  request: { id: string; method: string; url: string },
  statusCode: number,
  elapsedTime: number,
): string {
  const { logger, lines } = capturingLogger('trace');
  const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
  logger[level](
    {
      req: { id: request.id, method: request.method, url: request.url },
      res: { statusCode },
      responseTime: Math.round(elapsedTime),
    },
    'request completed',
  );
  return lines[0];
}

describe('the access line', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(1_764_300_000_123));
  afterEach(() => jest.restoreAllMocks());

  const request = { id: '6c1f0e0e-8d2a-4a57-9d43-0c4b9e3f7f11', method: 'GET', url: '/api/image' };

  it('should be the line pino writes, byte for byte, at the level of the status', () => {
    for (const [statusCode, level] of [
      [200, 30],
      [304, 30],
      [404, 40],
      [422, 40],
      [500, 50],
    ] as const) {
      const [line] = accessLine('info', request, statusCode, 2.6);
      expect(line).toBe(pinoLine(request, statusCode, 2.6));
      expect(JSON.parse(line)).toEqual({
        level,
        time: 1_764_300_000_123,
        pid: process.pid,
        hostname: expect.any(String),
        req: request,
        res: { statusCode },
        responseTime: 3,
        msg: 'request completed',
      });
      expect(line.endsWith('}\n')).toBe(true);
    }
  });

  it('should escape what a client put in the URL and the request id as pino does', () => {
    const urls = [
      '/api/image?filter[path]="quoted"\\back',
      '/api/image?x=\u0001\u001f\t\n',
      '/api/image?name=Çà日本\u2028',
      '/api/image?lone=\ud800',
      `/api/image?long=${'a'.repeat(300)}`,
    ];
    for (const url of urls) {
      const odd = { id: 'a"b\\c', method: 'GET', url };
      const [line] = accessLine('info', odd, 200, 0.4);
      expect(line).toBe(pinoLine(odd, 200, 0.4));
      expect(JSON.parse(line).req).toEqual(odd);
    }
  });

  it('should write nothing below the logger level', () => {
    expect(accessLine('warn', request, 200, 1)).toEqual([]);
    expect(accessLine('error', request, 404, 1)).toEqual([]);
    expect(accessLine('warn', request, 404, 1)).toHaveLength(1);
    expect(accessLine('silent', request, 500, 1)).toEqual([]);
  });
});
