import { ConfigError, parseConfig } from './app-config';

const SECRETS = { JWT_SECRET: 'j'.repeat(32), CURSOR_SECRET: 'c'.repeat(32) };
const PRIMARY = 'mysql://app:pw@primary:3306/images';

const fleetOf = (env: Record<string, string>) => parseConfig(env, '/srv').fleet;

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('parseConfig accepted the configuration');
}

const replica = (host: string, fields: Record<string, unknown> = {}) => ({
  type: 'mysql',
  host,
  port: 3306,
  username: 'reader',
  password: 'pw',
  database: 'images',
  poolSize: 10,
  ...fields,
});

describe('fleet configuration (DATABASE_REPLICA_URLS, DB_REPLICA_MAX_LAG_MS, REDIS_*)', () => {
  it('should be a single instance with the documented defaults when nothing is set', () => {
    expect(fleetOf({})).toEqual({ replicas: [], replicaMaxLagMs: 2000 });
  });

  it('should read a comma list of replicas, sized by DB_POOL_SIZE, skipping empty entries', () => {
    expect(
      fleetOf({
        ...SECRETS,
        DATABASE_URL: PRIMARY,
        DB_POOL_SIZE: '4',
        DATABASE_REPLICA_URLS:
          ' mysql://reader:pw@replica-1/images, ,mariadb://reader:pw@replica-2:3307/images ',
        DB_REPLICA_MAX_LAG_MS: '500',
      }),
    ).toEqual({
      replicas: [
        replica('replica-1', { poolSize: 4 }),
        replica('replica-2', { poolSize: 4, port: 3307 }),
      ],
      replicaMaxLagMs: 500,
    });
  });

  it('should read REDIS_URL with the default key prefix, or REDIS_KEY_PREFIX', () => {
    expect(fleetOf({ ...SECRETS, REDIS_URL: 'redis://:pw@cache:6379/2' }).redis).toEqual({
      url: 'redis://:pw@cache:6379/2',
      keyPrefix: 'image-api:',
    });
    expect(
      fleetOf({ ...SECRETS, REDIS_URL: 'rediss://cache', REDIS_KEY_PREFIX: 'staging:{api}:' })
        .redis,
    ).toEqual({ url: 'rediss://cache', keyPrefix: 'staging:{api}:' });
  });

  it.each([
    [
      { DATABASE_REPLICA_URLS: 'mysql://replica/images' },
      'DATABASE_REPLICA_URLS needs a mysql:// DATABASE_URL (the primary)',
    ],
    [
      { DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: 'postgres://replica/images' },
      'DATABASE_REPLICA_URLS must use mysql:// (or mariadb://) (got "postgres://")',
    ],
    [
      { DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: 'mysql://replica/images,replica-2' },
      'DATABASE_REPLICA_URLS must look like mysql://user:password@host:3306/database',
    ],
    [
      { DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: 'mysql://replica' },
      'DATABASE_REPLICA_URLS must name a database: mysql://user:password@host:3306/database',
    ],
    [
      { DB_REPLICA_MAX_LAG_MS: '50' },
      'DB_REPLICA_MAX_LAG_MS must be an integer from 100 to 3600000 (got "50")',
    ],
    [
      { REDIS_URL: 'http://cache:6379' },
      'REDIS_URL must look like redis://host:6379 (or rediss:// for TLS) (got "http://")',
    ],
    [
      { REDIS_URL: 'cache:6379' },
      'REDIS_URL must look like redis://host:6379 (or rediss:// for TLS) (got "cache://")',
    ],
    [
      { REDIS_URL: 'not a url' },
      'REDIS_URL must look like redis://host:6379 (or rediss:// for TLS)',
    ],
    [
      { REDIS_URL: 'redis://cache:6379/abc' },
      'REDIS_URL may end only in a database number, as in redis://host:6379/2 (got "/abc")',
    ],
    [
      { REDIS_URL: 'redis://cache:6379/?db=abc' },
      'REDIS_URL\'s db must be a database number (got "abc")',
    ],
    [
      { REDIS_URL: 'redis://cache:6379?db=-1' },
      'REDIS_URL\'s db must be a database number (got "-1")',
    ],
    [
      { REDIS_URL: 'redis://cache:6379/-1' },
      'REDIS_URL may end only in a database number, as in redis://host:6379/2 (got "/-1")',
    ],
    [
      { REDIS_URL: 'redis://cache/2/x' },
      'REDIS_URL may end only in a database number, as in redis://host:6379/2 (got "/2/x")',
    ],
    [
      { REDIS_KEY_PREFIX: 'has space' },
      'REDIS_KEY_PREFIX must be up to 64 letters, digits or _ . : { } - (got "has space")',
    ],
  ])('should refuse %j with "%s"', (env, problem) => {
    expect(problemsOf({ ...SECRETS, ...env })).toEqual([problem]);
  });

  it('should never put a password of a replica or of Redis into a message', () => {
    const problems = problemsOf({
      DATABASE_URL: PRIMARY,
      DATABASE_REPLICA_URLS: 'pg://reader:hunter2@replica/images',
      REDIS_URL: 'http://:hunter3@cache',
    });
    expect(problems.join(' ')).not.toMatch(/hunter2|hunter3/);
  });

  describe('an instance of a fleet refuses generated secrets', () => {
    const jwtProblem = (by: string) =>
      `JWT_SECRET (or JWT_PUBLIC_KEY or JWT_JWKS_URI) must be set when ${by} is set: every instance would generate a secret of its own`;
    const cursorProblem = (by: string) =>
      `CURSOR_SECRET must be set when ${by} is set: every instance would generate a secret of its own`;

    it('should name JWT_SECRET and CURSOR_SECRET when REDIS_URL is set without them', () => {
      expect(problemsOf({ REDIS_URL: 'redis://cache' })).toEqual([
        jwtProblem('REDIS_URL'),
        cursorProblem('REDIS_URL'),
      ]);
    });

    it('should name CURSOR_SECRET alone when only it is missing, for replicas', () => {
      expect(
        problemsOf({
          DATABASE_URL: PRIMARY,
          DATABASE_REPLICA_URLS: 'mysql://replica/images',
          JWT_SECRET: 'j'.repeat(32),
        }),
      ).toEqual([cursorProblem('DATABASE_REPLICA_URLS')]);
    });

    it('should name both settings that make it a fleet', () => {
      expect(
        problemsOf({
          DATABASE_URL: PRIMARY,
          DATABASE_REPLICA_URLS: 'mysql://replica/images',
          REDIS_URL: 'redis://cache',
          CURSOR_SECRET: 'c'.repeat(32),
        }),
      ).toEqual([
        'JWT_SECRET (or JWT_PUBLIC_KEY or JWT_JWKS_URI) must be set when REDIS_URL and DATABASE_REPLICA_URLS are set: every instance would generate a secret of its own',
      ]);
    });

    it('should accept a public key or a JWKS in place of JWT_SECRET', () => {
      const env = { REDIS_URL: 'redis://cache', CURSOR_SECRET: 'c'.repeat(32) };
      expect(
        fleetOf({ ...env, JWT_JWKS_URI: 'https://auth.example.com/jwks.json' }).redis,
      ).toBeDefined();
      expect(
        fleetOf({
          ...env,
          JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----',
        }).redis,
      ).toBeDefined();
    });

    it('should let a single instance generate its secrets, as before', () => {
      expect(() => parseConfig({ DATABASE_URL: PRIMARY }, '/srv')).not.toThrow();
    });
  });
});
