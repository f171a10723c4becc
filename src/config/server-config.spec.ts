import { ConfigError, parseConfig } from './app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

const server = (env: Record<string, string>) => parseConfig(env, '/srv').server;

describe('the server settings', () => {
  it('should default to a 10 s shutdown, no write origins, the automatic log format and the connection caps', () => {
    expect(server({})).toEqual({
      shutdownTimeoutMs: 10_000,
      corsOrigins: [],
      logFormat: 'auto',
      maxConnections: 4096,
      maxConnectionsPerIp: 256,
    });
    expect(server({ SHUTDOWN_TIMEOUT_MS: ' ', CORS_ORIGINS: '', LOG_FORMAT: ' ' })).toEqual(
      server({}),
    );
  });

  it.each([
    [{ MAX_CONNECTIONS: '100', MAX_CONNECTIONS_PER_IP: '0' }, [100, 0]],
    [{ MAX_CONNECTIONS: '1', MAX_CONNECTIONS_PER_IP: '1000000' }, [1, 1_000_000]],
  ])('should read the connection caps %j', (env, [total, perIp]) => {
    expect(server(env)).toMatchObject({ maxConnections: total, maxConnectionsPerIp: perIp });
  });

  it.each([
    ['MAX_CONNECTIONS', '0', 'MAX_CONNECTIONS must be an integer from 1 to 1000000 (got "0")'],
    [
      'MAX_CONNECTIONS_PER_IP',
      '-1',
      'MAX_CONNECTIONS_PER_IP must be an integer from 0 to 1000000 (got "-1")',
    ],
    [
      'MAX_CONNECTIONS_PER_IP',
      'lots',
      'MAX_CONNECTIONS_PER_IP must be an integer from 0 to 1000000 (got "lots")',
    ],
  ])('should refuse %s=%j', (name, value, problem) => {
    expect(problemsOf({ [name]: value })).toEqual([problem]);
  });

  it.each([
    ['0', 0],
    ['2500', 2500],
    ['600000', 600_000],
  ])('should read SHUTDOWN_TIMEOUT_MS=%j', (value, expected) => {
    expect(server({ SHUTDOWN_TIMEOUT_MS: value }).shutdownTimeoutMs).toBe(expected);
  });

  it.each(['-1', '600001', '10s', '1.5'])('should refuse SHUTDOWN_TIMEOUT_MS=%j', (value) => {
    expect(problemsOf({ SHUTDOWN_TIMEOUT_MS: value })).toEqual([
      `SHUTDOWN_TIMEOUT_MS must be an integer from 0 to 600000 (got "${value}")`,
    ]);
  });

  it.each<[string, readonly string[] | '*']>([
    ['https://app.example.com', ['https://app.example.com']],
    [
      ' https://app.example.com/ , http://localhost:5173,',
      ['https://app.example.com', 'http://localhost:5173'],
    ],
    ['*', '*'],
    [
      'http://localhost:80,https://A.Example.com:443',
      ['http://localhost', 'https://a.example.com'],
    ],
    ['HTTPS://app.example.com:8443', ['https://app.example.com:8443']],
  ])('should read CORS_ORIGINS=%j', (value, expected) => {
    expect(server({ CORS_ORIGINS: value }).corsOrigins).toEqual(expected);
  });

  it.each([
    ['app.example.com', 'app.example.com'],
    ['https://app.example.com/path', 'https://app.example.com/path'],
    ['ftp://files.example.com', 'ftp://files.example.com'],
    ['https://ok.example.com,null', 'null'],
    ['https://a.example.com,*', '*'],
    // Found by a probe: a URL's user and password were shown.
    ['https://user@app.example.com', 'https://…@app.example.com'],
    ['https://user:hunter2@app.example.com', 'https://…@app.example.com'],
    ['http:app.example.com', 'http:app.example.com'],
    ['https://app.example.com?x=1', 'https://app.example.com?x=1'],
  ])('should refuse CORS_ORIGINS=%j naming the bad entries', (value, bad) => {
    expect(problemsOf({ CORS_ORIGINS: value })).toEqual([
      `CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (no path; got "${bad}")`,
    ]);
  });

  it.each([
    ['json', 'json'],
    ['PRETTY', 'pretty'],
    ['auto', 'auto'],
  ])('should read LOG_FORMAT=%j', (value, expected) => {
    expect(server({ LOG_FORMAT: value }).logFormat).toBe(expected);
  });

  it('should refuse an unknown LOG_FORMAT', () => {
    expect(problemsOf({ LOG_FORMAT: 'xml' })).toEqual([
      'LOG_FORMAT must be one of auto, json, pretty (got "xml")',
    ]);
  });
});
