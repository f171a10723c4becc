import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type LevelWithSilent } from 'pino';
import { prettyFactory } from 'pino-pretty';
import {
  ACCESS_LINE_DELAY_MS,
  ACCESS_LINES_MAX_WAITING,
  accessLogHook,
  accessLogLevel,
  flushAccessLines,
  PRETTY_LOG_OPTIONS,
  prettyLogs,
} from './logger.options';

/** A pino logger writing into an array, as the service's logger writes to stdout. */
function capturingLogger(level: LevelWithSilent = 'info') {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

/** Long enough for waiting access lines to be written. */
const afterDelay = () => new Promise((resolve) => setTimeout(resolve, ACCESS_LINE_DELAY_MS + 5));

async function accessLine(
  level: LevelWithSilent,
  request: { id: string; method: string; url: string },
  statusCode: number,
  elapsedTime: number,
): Promise<string[]> {
  const { logger, lines } = capturingLogger(level);
  let called = 0;
  accessLogHook(logger)(
    request as unknown as FastifyRequest,
    { statusCode, elapsedTime } as unknown as FastifyReply,
    () => called++,
  );
  expect(called).toBe(1);
  await afterDelay();
  return lines;
}

/** What pino itself writes for the same access line. */
function pinoLine(
  request: { id: string; method: string; url: string },
  statusCode: number,
  elapsedTime: number,
): string {
  const { logger, lines } = capturingLogger('trace');
  logger[accessLogLevel(statusCode)](
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

  it('should be the line pino writes, byte for byte, at the level of the status', async () => {
    for (const [statusCode, level] of [
      [200, 30],
      [304, 30],
      [404, 40],
      [422, 40],
      [500, 50],
    ] as const) {
      const [line] = await accessLine('info', request, statusCode, 2.6);
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

  it('should escape what a client put in the URL and the request id as pino does', async () => {
    const urls = [
      '/api/image?filter[path]="quoted"\\back',
      '/api/image?x=\u0001\u001f\t\n',
      '/api/image?name=Çà日本\u2028',
      '/api/image?lone=\ud800',
      `/api/image?long=${'a'.repeat(300)}`,
    ];
    for (const url of urls) {
      const odd = { id: 'a"b\\c', method: 'GET', url };
      const [line] = await accessLine('info', odd, 200, 0.4);
      expect(line).toBe(pinoLine(odd, 200, 0.4));
      expect(JSON.parse(line).req).toEqual(odd);
    }
  });

  it('should write nothing below the logger level', async () => {
    expect(await accessLine('warn', request, 200, 1)).toEqual([]);
    expect(await accessLine('error', request, 404, 1)).toEqual([]);
    expect(await accessLine('warn', request, 404, 1)).toHaveLength(1);
    expect(await accessLine('silent', request, 500, 1)).toEqual([]);
  });

  it('should write the lines that come within the delay together, in order, after it', async () => {
    const { logger, lines } = capturingLogger();
    const hook = accessLogHook(logger);
    const finish = (url: string, statusCode: number) =>
      hook(
        { ...request, url } as unknown as FastifyRequest,
        { statusCode, elapsedTime: 1 } as unknown as FastifyReply,
        () => undefined,
      );
    finish('/api/image/1', 200);
    await new Promise((resolve) => setImmediate(resolve));
    finish('/api/image/2', 404);
    finish('/api/image/3', 200);
    expect(lines).toEqual([]);
    await afterDelay();
    expect(lines).toEqual([
      pinoLine({ ...request, url: '/api/image/1' }, 200, 1) +
        pinoLine({ ...request, url: '/api/image/2' }, 404, 1) +
        pinoLine({ ...request, url: '/api/image/3' }, 200, 1),
    ]);
    finish('/api/image/4', 200);
    await afterDelay();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(pinoLine({ ...request, url: '/api/image/4' }, 200, 1));
  });

  it('should write the waiting lines at once when they reach the size limit', () => {
    const { logger, lines } = capturingLogger();
    const hook = accessLogHook(logger);
    const long = { ...request, url: `/api/image?filter[path]=${'a'.repeat(1000)}` };
    const line = pinoLine(long, 200, 1);
    const fit = Math.ceil(ACCESS_LINES_MAX_WAITING / line.length);
    for (let count = 1; count <= fit; count++) {
      hook(
        long as unknown as FastifyRequest,
        { statusCode: 200, elapsedTime: 1 } as unknown as FastifyReply,
        () => undefined,
      );
      // Nothing is written before the limit is reached, and everything when it is.
      expect(lines).toEqual(count < fit ? [] : [line.repeat(fit)]);
    }
    flushAccessLines();
    expect(lines).toHaveLength(1);
  });

  it('should drop the lines, not throw, when the destination fails to write them', async () => {
    const failing = pino(
      { level: 'info' },
      {
        write: () => {
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        },
      },
    );
    accessLogHook(failing)(
      request as unknown as FastifyRequest,
      { statusCode: 200, elapsedTime: 1 } as unknown as FastifyReply,
      () => undefined,
    );
    expect(() => flushAccessLines()).not.toThrow();
    await afterDelay();
  });

  it('should write the waiting lines at once when flushed (as on process exit), and not again', async () => {
    const { logger, lines } = capturingLogger();
    accessLogHook(logger)(
      request as unknown as FastifyRequest,
      { statusCode: 200, elapsedTime: 1 } as unknown as FastifyReply,
      () => undefined,
    );
    flushAccessLines();
    expect(lines).toEqual([pinoLine(request, 200, 1)]);
    await afterDelay();
    expect(lines).toHaveLength(1);
  });
});

describe('prettyLogs', () => {
  it('should pretty-print on a terminal with LOG_FORMAT=auto, and as forced otherwise', () => {
    expect([
      prettyLogs('auto', true),
      prettyLogs('auto', false),
      prettyLogs('json', true),
      prettyLogs('pretty', false),
    ]).toEqual([true, false, false, true]);
  });
});

describe('PRETTY_LOG_OPTIONS', () => {
  it('should write an access line, request and answer included, as one line', () => {
    const pretty = prettyFactory({ ...PRETTY_LOG_OPTIONS, colorize: false });
    const line = pretty(
      '{"level":40,"time":1765000000000,"pid":1,"hostname":"h","req":{"id":"r-1","method":"GET",' +
        '"url":"/api/image/9"},"res":{"statusCode":404},"responseTime":1.2,"msg":"request completed"}\n',
    );
    expect(line.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN \(1\): request completed \{.*"req":\{"id":"r-1","method":"GET","url":"\/api\/image\/9"\}.*"res":\{"statusCode":404\}.*\}$/,
      ),
    ]);
  });
});
