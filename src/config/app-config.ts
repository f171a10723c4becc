import { isAbsolute, join, resolve } from 'node:path';
import { hideCredentials } from './hide-credentials';
import { getHeapStatistics } from 'node:v8';
import type {
  DatabaseConfig,
  JwtConfig,
  MysqlDatabaseConfig,
  SqliteDatabaseConfig,
} from './config.types';
import { FleetConfig, parseFleetConfig } from './fleet-config';
import { MessagingConfig, parseMessagingConfig } from './messaging-config';
import { parseServerConfig, ServerConfig } from './server-config';
import { parseStorageConfig, servedFolderProblem, StorageConfig } from './storage-config';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
// The types fleet-config shares with this file live apart, so the two need not import each other.
export type { DatabaseConfig, JwtConfig, MysqlDatabaseConfig } from './config.types';

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * Time limits on the database work of requests (API.md section 10, docs/operations.md);
 * migrations, seeding and pruning are exempt.
 */
export interface DatabaseTimeouts {
  /** Longest one statement may run, in ms (0: unbounded). */
  readonly statementMs: number;
  /** Longest getting a pooled connection may take, connecting included, in ms. */
  readonly connectMs: number;
}

export interface AppConfig {
  readonly nodeEnv: string;
  readonly port: number;
  readonly apiPrefix: string;
  readonly database: DatabaseConfig;
  /** `DB_STATEMENT_TIMEOUT_MS` and `DB_CONNECT_TIMEOUT_MS`. */
  readonly databaseTimeouts: DatabaseTimeouts;
  /** Run pending migrations at start-up. */
  readonly migrate: boolean;
  /** Fill an empty embedded (SQLite) database with generated demo data at start-up. */
  readonly demoData: boolean;
  /** Folder for the embedded database and the generated JWT secret. */
  readonly dataDir: string;
  readonly imageBaseUrl: string;
  /** Base for absolute pagination links; taken from the request when unset. */
  readonly publicUrl?: string;
  readonly jwt: JwtConfig;
  /** Signs keyset page cursors (HMAC); when unset, a secret generated once into `dataDir`. */
  readonly cursorSecret?: string;
  readonly logLevel: LogLevel;
  /** Requests per minute per client; 0 turns rate limiting off. */
  readonly rateLimitPerMinute: number;
  /** MiB of rendered read responses kept in process (docs/read-path.md); 0 turns the cache off. */
  readonly responseCacheMb: number;
  /** The TCP/NATS message listeners and the event relay (docs/microservice.md). */
  readonly messaging: MessagingConfig;
  /** Shutdown, CORS and the log format (docs/operations.md). */
  readonly server: ServerConfig;
  /** Read replicas and Redis, for several instances behind a load balancer (docs/scaling.md). */
  readonly fleet: FleetConfig;
  /** Image files: the storage driver, upload limit and pruning (docs/storage.md). */
  readonly storage: StorageConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.map(oneLine).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A problem as one line: the control characters of a value it quotes written as escapes, so a
 * value with a line break neither breaks the one-line message nor forges a line of its own
 * (found by a probe).
 */
function oneLine(problem: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  // eslint-disable-next-line no-control-regex
  return problem.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (character) => {
    const code = character.charCodeAt(0).toString(16).padStart(4, '0');
    return named[character] ?? `\\u${code}`;
  });
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates every setting from the environment in one pass, collecting every problem,
 * so that a bad start-up names each bad variable in one line.
 */
export function parseConfig(
  env: Env,
  cwd: string = process.cwd(),
  heapLimitBytes: number = getHeapStatistics().heap_size_limit,
): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };

  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const httpUrl = (name: string): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      // Used as written: `https:/host`, `http:host` and `http:\\host`, which the URL parser
      // mends, or a space went into every link as typed (found by a probe).
      if (!/^https?:\/\/[^\s\\]+$/i.test(raw)) throw new Error('spelling');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be an absolute http(s) URL (got "${hideCredentials(raw)}")`);
      return undefined;
    }
  };

  /**
   * A URL that paths are put after (links): a query or fragment would end up inside each, a user
   * and password would be shown in every link, and an empty path segment (`https://host//x`)
   * makes a client resolving a link's path read `//x` as another host.
   */
  const baseUrl = (name: string): string | undefined => {
    const raw = read(name);
    if (raw !== undefined && (raw.includes('?') || raw.includes('#'))) {
      problems.push(
        `${name} must be an absolute http(s) URL without a query or fragment (got "${hideCredentials(raw)}")`,
      );
      return undefined;
    }
    const url = httpUrl(name);
    if (url === undefined) return undefined;
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '' || parsed.pathname.includes('//')) {
      problems.push(
        `${name} must be an absolute http(s) URL without a user, a password or an empty path segment (got "${hideCredentials(raw ?? '')}")`,
      );
      return undefined;
    }
    return url;
  };

  const dataDir = resolveFrom(cwd, read('DATA_DIR') ?? 'data');
  // At least 3: the relay's and the prune's server locks (and the migrations' at start) each hold a
  // pool connection while their work takes another; with 1, start-up waited for ever (a probe).
  const poolSize = integer('DB_POOL_SIZE', 10, 3, 1000);
  const database = parseDatabaseUrl(read('DATABASE_URL'), dataDir, poolSize, cwd, problems);

  const apiPrefix = (read('API_PREFIX') ?? 'api').replace(/^\/+|\/+$/g, '');
  // `.` and `..` are segments a client's URL resolution removes: the API would be unreachable.
  if (
    !/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(apiPrefix) ||
    apiPrefix.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    problems.push(`API_PREFIX must be a URL path segment such as "api" (got "${env.API_PREFIX}")`);
  } else if (apiPrefix === 'restore' || apiPrefix === 'forceDelete') {
    // The routes without the prefix (API.md section 1) are `/restore/image/:id` and
    // `/forceDelete/image/:id`: the prefixed update and delete would take the same paths.
    problems.push(
      `API_PREFIX must not be "${apiPrefix}": /${apiPrefix}/image/:id is a route of its own without the prefix`,
    );
  }

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`);
  }

  const jwt: JwtConfig = {
    secret: read('JWT_SECRET'),
    publicKey: read('JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n'),
    jwksUri: httpUrl('JWT_JWKS_URI'),
    issuer: read('JWT_ISSUER'),
    audience: read('JWT_AUDIENCE'),
  };
  const keySources = [jwt.secret, jwt.publicKey, jwt.jwksUri].filter((v) => v !== undefined);
  if (keySources.length > 1) {
    problems.push('set only one of JWT_SECRET, JWT_PUBLIC_KEY and JWT_JWKS_URI');
  }
  if (jwt.secret !== undefined && jwt.secret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters long');
  }
  // A private key would be read as its public half: refused, it does not belong in this setting.
  if (
    jwt.publicKey !== undefined &&
    (!jwt.publicKey.includes('-----BEGIN') || /PRIVATE KEY-----/.test(jwt.publicKey))
  ) {
    problems.push('JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }

  const cursorSecret = read('CURSOR_SECRET');
  if (cursorSecret !== undefined && cursorSecret.length < 32) {
    problems.push('CURSOR_SECRET must be at least 32 characters long');
  }

  const config: AppConfig = {
    nodeEnv: read('NODE_ENV') ?? 'production',
    port: integer('PORT', 3000, 1, 65535),
    apiPrefix,
    database,
    databaseTimeouts: {
      statementMs: integer('DB_STATEMENT_TIMEOUT_MS', 5_000, 0, 3_600_000),
      connectMs: integer('DB_CONNECT_TIMEOUT_MS', 2_000, 100, 600_000),
    },
    migrate: boolean('DB_MIGRATE', true),
    demoData: boolean('DEMO_DATA', true),
    dataDir,
    imageBaseUrl: baseUrl('IMAGE_BASE_URL') ?? 'https://animethemes.moe/storage/images',
    publicUrl: baseUrl('PUBLIC_URL'),
    jwt,
    cursorSecret,
    logLevel,
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 90, 0, 1_000_000),
    responseCacheMb: responseCacheMb(
      integer('RESPONSE_CACHE_MB', 32, 0, 4096),
      heapLimitBytes,
      problems,
    ),
    messaging: parseMessagingConfig(read, integer, problems),
    server: parseServerConfig(read, integer, problems),
    fleet: parseFleetConfig(
      {
        read,
        integer,
        mysqlUrl: (name, raw) => parseMysqlUrl(name, raw, poolSize, problems),
      },
      { database, jwt, cursorSecret },
      problems,
    ),
    storage: parseStorageConfig({ read, integer, boolean, httpUrl }, dataDir, cwd, problems),
  };

  const served = servedFolderProblem(
    config.storage,
    dataDir,
    config.database.type === 'sqlite' && isAbsolute(config.database.path)
      ? config.database.path
      : undefined,
  );
  if (served !== undefined) problems.push(served);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The response cache lives on the JavaScript heap, so it may take at most a quarter of it: with
 * `npm start`'s `--max-old-space-size=256`, `RESPONSE_CACHE_MB=256` filled the heap and ended the
 * process (found by a probe).
 */
function responseCacheMb(mb: number, heapLimitBytes: number, problems: string[]): number {
  const heapMb = Math.floor(heapLimitBytes / (1024 * 1024));
  if (mb > heapMb / 4) {
    problems.push(
      `RESPONSE_CACHE_MB must be at most a quarter of the JavaScript heap, ${Math.floor(heapMb / 4)} here (${heapMb} MB; raise --max-old-space-size for more: in the start command, or in NODE_OPTIONS when it sets none) (got "${mb}")`,
    );
  }
  return mb;
}

function resolveFrom(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function parseDatabaseUrl(
  raw: string | undefined,
  dataDir: string,
  poolSize: number,
  cwd: string,
  problems: string[],
): DatabaseConfig {
  const fallback: SqliteDatabaseConfig = {
    type: 'sqlite',
    path: join(dataDir, 'image-api.sqlite'),
  };
  if (raw === undefined) return fallback;
  if (/^sqlite:/i.test(raw)) {
    // `sqlite:PATH`, `sqlite://PATH` and `sqlite:///ABSOLUTE` all name a file (no host part).
    const path = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') {
      problems.push('DATABASE_URL sqlite:PATH needs a file path (or sqlite::memory:)');
      return fallback;
    }
    return { type: 'sqlite', path: path === ':memory:' ? path : resolveFrom(cwd, path) };
  }
  return parseMysqlUrl('DATABASE_URL', raw, poolSize, problems) ?? fallback;
}

/** A `mysql://` (or `mariadb://`) URL of the variable `name`; undefined (and a problem) if bad. */
function parseMysqlUrl(
  name: string,
  raw: string,
  poolSize: number,
  problems: string[],
): MysqlDatabaseConfig | undefined {
  // Only DATABASE_URL may name an SQLite file instead.
  const orSqlite = name === 'DATABASE_URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(
      `${name} must look like mysql://user:password@host:3306/database${orSqlite ? ' or sqlite:./data/file.sqlite' : ''}`,
    );
    return undefined;
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    problems.push(
      `${name} must use mysql:// (or mariadb://)${orSqlite ? ' or sqlite:' : ''} (got "${url.protocol}//")`,
    );
    return undefined;
  }
  let parts: { database: string; username: string; password: string };
  try {
    parts = {
      database: decodeURIComponent(url.pathname.replace(/^\//, '')),
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
  } catch {
    // A `%` that starts no escape (`p%ss`) threw "URI malformed" past the validation.
    problems.push(`${name} has a malformed percent escape: write a % in a password as %25`);
    return undefined;
  }
  const { database } = parts;
  if (url.port === '0') {
    problems.push(`${name} must name a port from 1 to 65535 (got "0")`);
    return undefined;
  }
  if (database === '' || database.includes('/')) {
    problems.push(`${name} must name a database: mysql://user:password@host:3306/database`);
    return undefined;
  }
  return {
    type: 'mysql',
    // `[::1]` is the URL's spelling of an IPv6 address; mysql2 takes it without the brackets
    // (with them, start-up failed on `getaddrinfo ENOTFOUND [::1]`, found by a probe).
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 3306 : Number(url.port),
    username: parts.username || 'root',
    password: parts.password,
    database,
    poolSize,
  };
}
