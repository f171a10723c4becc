import type { DatabaseConfig, JwtConfig, MysqlDatabaseConfig } from './config.types';

/**
 * The settings that make an instance one of several behind a load balancer (API.md section 11,
 * docs/scaling.md): read replicas and the Redis that holds the shared rate-limit counters.
 */
export interface FleetConfig {
  /** `DATABASE_REPLICA_URLS`: MySQL/MariaDB replicas of `DATABASE_URL` that serve reads. */
  readonly replicas: readonly MysqlDatabaseConfig[];
  /** `DB_REPLICA_MAX_LAG_MS`: a replica further behind the primary than this is skipped. */
  readonly replicaMaxLagMs: number;
  /** `REDIS_URL` and `REDIS_KEY_PREFIX`; absent: rate-limit counters live in each process. */
  readonly redis?: RedisConfig;
}

export interface RedisConfig {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS). */
  readonly url: string;
  /** Put before every key the service writes, so that one Redis can serve several deployments. */
  readonly keyPrefix: string;
}

const KEY_PREFIX = /^[A-Za-z0-9_.:{}-]{0,64}$/;

export interface FleetParseHelpers {
  readonly read: (name: string) => string | undefined;
  readonly integer: (name: string, fallback: number, min: number, max: number) => number;
  /** Parses one `mysql://` URL as `DATABASE_URL` does, naming `name` in its problems. */
  readonly mysqlUrl: (name: string, raw: string) => MysqlDatabaseConfig | undefined;
}

/**
 * Reads the fleet variables, adding one problem per bad variable; and refuses generated secrets in
 * a fleet: each instance would generate its own, so tokens and cursors made by one would be
 * refused by the others.
 */
export function parseFleetConfig(
  helpers: FleetParseHelpers,
  context: { database: DatabaseConfig; jwt: JwtConfig; cursorSecret?: string },
  problems: string[],
): FleetConfig {
  const { read, integer, mysqlUrl } = helpers;

  const replicas: MysqlDatabaseConfig[] = [];
  const rawReplicas = read('DATABASE_REPLICA_URLS');
  if (rawReplicas !== undefined) {
    if (context.database.type !== 'mysql') {
      problems.push('DATABASE_REPLICA_URLS needs a mysql:// DATABASE_URL (the primary)');
    } else {
      for (const raw of rawReplicas.split(',').map((url) => url.trim())) {
        if (raw === '') continue;
        const replica = mysqlUrl('DATABASE_REPLICA_URLS', raw);
        if (replica !== undefined) replicas.push(replica);
      }
    }
  }
  const replicaMaxLagMs = integer('DB_REPLICA_MAX_LAG_MS', 2000, 100, 3_600_000);

  const redis = parseRedis(read('REDIS_URL'), read('REDIS_KEY_PREFIX'), problems);

  if (replicas.length > 0 || redis !== undefined) {
    const settings = [redis && 'REDIS_URL', replicas.length > 0 && 'DATABASE_REPLICA_URLS'].filter(
      Boolean,
    );
    const fleetBy = `${settings.join(' and ')} ${settings.length > 1 ? 'are' : 'is'}`;
    const { secret, publicKey, jwksUri } = context.jwt;
    if (secret === undefined && publicKey === undefined && jwksUri === undefined) {
      problems.push(
        `JWT_SECRET (or JWT_PUBLIC_KEY or JWT_JWKS_URI) must be set when ${fleetBy} set: every instance would generate a secret of its own`,
      );
    }
    if (context.cursorSecret === undefined) {
      problems.push(
        `CURSOR_SECRET must be set when ${fleetBy} set: every instance would generate a secret of its own`,
      );
    }
  }

  return { replicas, replicaMaxLagMs, ...(redis === undefined ? {} : { redis }) };
}

function parseRedis(
  url: string | undefined,
  rawPrefix: string | undefined,
  problems: string[],
): RedisConfig | undefined {
  const keyPrefix = rawPrefix ?? 'image-api:';
  if (!KEY_PREFIX.test(keyPrefix)) {
    problems.push(
      `REDIS_KEY_PREFIX must be up to 64 letters, digits or _ . : { } - (got "${keyPrefix}")`,
    );
  }
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push('REDIS_URL must look like redis://host:6379 (or rediss:// for TLS)');
    return undefined;
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    problems.push(
      `REDIS_URL must look like redis://host:6379 (or rediss:// for TLS) (got "${parsed.protocol}//")`,
    );
    return undefined;
  }
  // The database number, if any: ioredis sent `SELECT NaN` for `/abc` (start-up died on the first
  // counter) and went on in database 0 for `/-1`.
  const db = parsed.searchParams.get('db');
  if (db !== null && !/^\d{1,5}$/.test(db)) {
    problems.push(`REDIS_URL's db must be a database number (got "${db}")`);
    return undefined;
  }
  if (!/^\/?(?:\d{1,5})?$/.test(parsed.pathname)) {
    problems.push(
      `REDIS_URL may end only in a database number, as in redis://host:6379/2 (got "${parsed.pathname}")`,
    );
    return undefined;
  }
  return { url, keyPrefix };
}
