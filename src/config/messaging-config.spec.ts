import { ConfigError, parseConfig } from './app-config';

const messagingOf = (env: Record<string, string>) => parseConfig(env, '/srv').messaging;

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

describe('messaging configuration (MICROSERVICE_*, NATS_*, OUTBOX_*)', () => {
  it('should turn both listeners off and use the documented defaults when nothing is set', () => {
    expect(messagingOf({})).toEqual({
      subjectPrefix: '',
      eventsStream: 'IMAGE_EVENTS',
      outbox: { pollIntervalMs: 1000, retryMaxMs: 30000 },
    });
  });

  it('should listen on TCP on the loopback interface only when MICROSERVICE_PORT alone is set', () => {
    expect(messagingOf({ MICROSERVICE_PORT: '4000' }).tcp).toEqual({
      host: '127.0.0.1',
      port: 4000,
    });
  });

  it('should accept MICROSERVICE_PORT=0 (any free port) and a MICROSERVICE_HOST', () => {
    expect(messagingOf({ MICROSERVICE_PORT: '0', MICROSERVICE_HOST: '0.0.0.0' }).tcp).toEqual({
      host: '0.0.0.0',
      port: 0,
    });
  });

  it('should treat an empty MICROSERVICE_PORT as unset', () => {
    expect(messagingOf({ MICROSERVICE_PORT: ' ' }).tcp).toBeUndefined();
  });

  it.each(['-1', '65536', 'abc', '40.5'])('should refuse MICROSERVICE_PORT=%s', (port) => {
    expect(problemsOf({ MICROSERVICE_PORT: port })).toEqual([
      `MICROSERVICE_PORT must be an integer from 0 to 65535 (got "${port}")`,
    ]);
  });

  it('should refuse a MICROSERVICE_HOST that is not a host', () => {
    expect(problemsOf({ MICROSERVICE_PORT: '1', MICROSERVICE_HOST: 'http://x' })).toEqual([
      'MICROSERVICE_HOST must be a host name or IP address (got "http://x")',
    ]);
  });

  // Found by a probe: nats.js reads no credentials from a URL, so they are handed to it apart.
  it('should take a user and password, or a token, from NATS_URL', () => {
    expect(messagingOf({ NATS_URL: 'nats://svc:p%40ss%3Aw@a:4222, nats://b:4222' }).nats).toEqual({
      servers: ['nats://svc:p%40ss%3Aw@a:4222', 'nats://b:4222'],
      queue: 'image-api',
      auth: { user: 'svc', pass: 'p@ss:w' },
    });
    expect(messagingOf({ NATS_URL: 'nats://s3cr3t@a:4222' }).nats?.auth).toEqual({
      token: 's3cr3t',
    });
    expect(messagingOf({ NATS_URL: 'nats://a:4222' }).nats).not.toHaveProperty('auth');
    expect(problemsOf({ NATS_URL: 'nats://u:one@a:4222,nats://u:two@b:4222' })).toEqual([
      'NATS_URL must give the same user and password (or token) in every URL that has one',
    ]);
  });

  it('should read NATS_URL as one server or a comma list, with the default queue group', () => {
    expect(messagingOf({ NATS_URL: 'nats://127.0.0.1:4222' }).nats).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      queue: 'image-api',
    });
    expect(
      messagingOf({ NATS_URL: 'nats://a:4222, tls://b:4222', NATS_QUEUE: 'images_2' }).nats,
    ).toEqual({ servers: ['nats://a:4222', 'tls://b:4222'], queue: 'images_2' });
  });

  it.each(['127.0.0.1:4222', 'http://nats:4222', 'nats://', ','])(
    'should refuse NATS_URL=%s',
    (url) => {
      expect(problemsOf({ NATS_URL: url })).toEqual([
        `NATS_URL must be nats://host:port (or a comma-separated list of them; tls:// for TLS) (got "${url}")`,
      ]);
    },
  );

  // Found by a probe: the refusal printed the password.
  it('should refuse a bad NATS_URL without repeating its credentials', () => {
    expect(problemsOf({ NATS_URL: 'nats://user:s3cret@127.0.0.1:4222,http://x' })).toEqual([
      'NATS_URL must be nats://host:port (or a comma-separated list of them; tls:// for TLS) (got "nats://…@127.0.0.1:4222,http://x")',
    ]);
  });

  it('should refuse a NATS_QUEUE with subject characters', () => {
    expect(problemsOf({ NATS_QUEUE: 'a.b' })).toEqual([
      'NATS_QUEUE must be letters, digits, _ or - (got "a.b")',
    ]);
  });

  it('should end NATS_SUBJECT_PREFIX with a dot', () => {
    expect(messagingOf({ NATS_SUBJECT_PREFIX: 'staging' }).subjectPrefix).toBe('staging.');
    expect(messagingOf({ NATS_SUBJECT_PREFIX: 'eu.staging.' }).subjectPrefix).toBe('eu.staging.');
  });

  it.each(['a..b', '.a', 'a b', 'a.*', 'a.>'])('should refuse NATS_SUBJECT_PREFIX=%s', (prefix) => {
    expect(problemsOf({ NATS_SUBJECT_PREFIX: prefix })).toEqual([
      `NATS_SUBJECT_PREFIX must be dot-separated tokens of letters, digits, _ or - such as "staging." (got "${prefix}")`,
    ]);
  });

  it('should refuse a NATS_EVENTS_STREAM JetStream would not take', () => {
    expect(problemsOf({ NATS_EVENTS_STREAM: 'IMAGE.EVENTS' })).toEqual([
      'NATS_EVENTS_STREAM must be up to 64 letters, digits, _ or - (got "IMAGE.EVENTS")',
    ]);
  });

  it('should read the relay timings and refuse values out of range', () => {
    expect(
      messagingOf({ OUTBOX_POLL_INTERVAL_MS: '250', OUTBOX_RETRY_MAX_MS: '5000' }).outbox,
    ).toEqual({ pollIntervalMs: 250, retryMaxMs: 5000 });
    expect(problemsOf({ OUTBOX_POLL_INTERVAL_MS: '0', OUTBOX_RETRY_MAX_MS: 'soon' })).toEqual([
      'OUTBOX_POLL_INTERVAL_MS must be an integer from 10 to 3600000 (got "0")',
      'OUTBOX_RETRY_MAX_MS must be an integer from 10 to 3600000 (got "soon")',
    ]);
  });

  it('should name every bad messaging variable in one error', () => {
    expect(problemsOf({ MICROSERVICE_PORT: 'x', NATS_URL: 'x', NATS_QUEUE: '?' })).toHaveLength(3);
  });
});
