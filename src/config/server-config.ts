import { hideCredentials } from './hide-credentials';
/**
 * How the HTTP server runs in production (API.md section 10): shutdown, CORS, the log format.
 * The request, header and keep-alive time limits are fixed by the contract (app.setup.ts).
 */
export interface ServerConfig {
  /** How long SIGTERM waits for in-flight requests before it closes what is left. */
  readonly shutdownTimeoutMs: number;
  /**
   * Origins whose browsers may send writes (`https://app.example.com`), or `'*'` for any origin.
   * Reads are open to every origin whatever this says.
   */
  readonly corsOrigins: readonly string[] | '*';
  /** `pretty` (pino-pretty), `json` (one JSON line per entry), or `auto`: pretty on a terminal. */
  readonly logFormat: LogFormat;
  /** The most HTTP connections open at once (Node's `maxConnections`); more are closed at once. */
  readonly maxConnections: number;
  /** The most HTTP connections open at once from one client address; 0: no limit of its own. */
  readonly maxConnectionsPerIp: number;
}

export type LogFormat = 'auto' | 'json' | 'pretty';
const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/**
 * Reads the server variables with the helpers of `parseConfig` (`read` gives a trimmed value or
 * undefined; `integer` validates a range), adding one problem per bad variable.
 */
export function parseServerConfig(
  read: (name: string) => string | undefined,
  integer: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): ServerConfig {
  const logFormat = (read('LOG_FORMAT') ?? 'auto').toLowerCase() as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) {
    problems.push(
      `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')} (got "${read('LOG_FORMAT')}")`,
    );
  }
  return {
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    corsOrigins: parseCorsOrigins(read('CORS_ORIGINS'), problems),
    logFormat: LOG_FORMATS.includes(logFormat) ? logFormat : 'auto',
    maxConnections: integer('MAX_CONNECTIONS', 4096, 1, 1_000_000),
    maxConnectionsPerIp: integer('MAX_CONNECTIONS_PER_IP', 256, 0, 1_000_000),
  };
}

/** `https://a.example.com,http://localhost:5173` (a trailing slash is dropped), or `*`. */
function parseCorsOrigins(raw: string | undefined, problems: string[]): readonly string[] | '*' {
  if (raw === undefined) return [];
  if (raw === '*') return '*';
  const origins: string[] = [];
  const bad: string[] = [];
  for (const entry of raw.split(',').map((origin) => origin.trim())) {
    if (entry === '') continue;
    // Kept as a browser sends it in `Origin`: host in lower case, no default port
    // (`https://App.example.com:443` is `https://app.example.com`; both were refused, a probe found).
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      const plain =
        /^https?:\/\/[^/\\\s?#]+\/?$/i.test(entry) && url.username === '' && url.password === '';
      if (plain && (url.protocol === 'http:' || url.protocol === 'https:')) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin !== undefined) origins.push(origin);
    else bad.push(entry);
  }
  if (bad.length > 0) {
    problems.push(
      `CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (no path; got "${hideCredentials(bad.join(', '))}")`,
    );
  }
  return origins;
}
