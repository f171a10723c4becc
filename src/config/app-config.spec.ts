import { AppConfig, ConfigError, parseConfig } from './app-config';

const CWD = '/srv/image-api';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env, CWD);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

type Case = [value: string, expected: unknown];

interface VariableTable {
  readonly variable: string;
  /** What the variable sets in the parsed configuration. */
  readonly pick: (config: AppConfig) => unknown;
  readonly defaultValue: unknown;
  readonly good: Case[];
  /** Bad values and the exact problem each one reports. */
  readonly bad: Case[];
}

const mysql = (fields: Partial<Record<string, unknown>>) => ({
  type: 'mysql',
  host: '127.0.0.1',
  port: 3306,
  username: 'root',
  password: '',
  database: 'images',
  poolSize: 10,
  ...fields,
});

const DATABASE_URL_FORMAT =
  'DATABASE_URL must look like mysql://user:password@host:3306/database or sqlite:./data/file.sqlite';

const VARIABLES: VariableTable[] = [
  {
    variable: 'PORT',
    pick: (config) => config.port,
    defaultValue: 3000,
    good: [
      ['8080', 8080],
      ['1', 1],
      ['65535', 65535],
      [' 3001 ', 3001],
    ],
    bad: [
      ['abc', 'PORT must be an integer from 1 to 65535 (got "abc")'],
      ['0', 'PORT must be an integer from 1 to 65535 (got "0")'],
      ['65536', 'PORT must be an integer from 1 to 65535 (got "65536")'],
      ['-1', 'PORT must be an integer from 1 to 65535 (got "-1")'],
      ['80.5', 'PORT must be an integer from 1 to 65535 (got "80.5")'],
      ['3e3', 'PORT must be an integer from 1 to 65535 (got "3e3")'],
    ],
  },
  {
    variable: 'API_PREFIX',
    pick: (config) => config.apiPrefix,
    defaultValue: 'api',
    good: [
      ['v1', 'v1'],
      ['/api/', 'api'],
      ['api/v2', 'api/v2'],
    ],
    bad: [
      ['a b', 'API_PREFIX must be a URL path segment such as "api" (got "a b")'],
      ['api?x=1', 'API_PREFIX must be a URL path segment such as "api" (got "api?x=1")'],
      ['/', 'API_PREFIX must be a URL path segment such as "api" (got "/")'],
      ['..', 'API_PREFIX must be a URL path segment such as "api" (got "..")'],
      ['api/../x', 'API_PREFIX must be a URL path segment such as "api" (got "api/../x")'],
      ['.', 'API_PREFIX must be a URL path segment such as "api" (got ".")'],
      // Found by a probe: start-up failed on the route clash, naming no variable.
      [
        'restore',
        'API_PREFIX must not be "restore": /restore/image/:id is a route of its own without the prefix',
      ],
      [
        '/forceDelete/',
        'API_PREFIX must not be "forceDelete": /forceDelete/image/:id is a route of its own without the prefix',
      ],
    ],
  },
  {
    variable: 'DATABASE_URL',
    pick: (config) => config.database,
    defaultValue: { type: 'sqlite', path: `${CWD}/data/image-api.sqlite` },
    good: [
      ['mysql://root@127.0.0.1:3306/images', mysql({})],
      [
        'mysql://app:s%40cret@db.internal:3307/image_api',
        mysql({
          host: 'db.internal',
          port: 3307,
          username: 'app',
          password: 's@cret',
          database: 'image_api',
        }),
      ],
      ['mariadb://db/images', mysql({ host: 'db' })],
      // Found by a probe: the brackets went to mysql2 as part of the host name.
      ['mysql://root@[::1]:3306/images', mysql({ host: '::1' })],
      ['sqlite:./var/images.sqlite', { type: 'sqlite', path: `${CWD}/var/images.sqlite` }],
      ['sqlite:/tmp/images.sqlite', { type: 'sqlite', path: '/tmp/images.sqlite' }],
      ['sqlite:///tmp/images.sqlite', { type: 'sqlite', path: '/tmp/images.sqlite' }],
      ['sqlite://var/images.sqlite', { type: 'sqlite', path: `${CWD}/var/images.sqlite` }],
      ['SQLite:./var/images.sqlite', { type: 'sqlite', path: `${CWD}/var/images.sqlite` }],
      ['sqlite::memory:', { type: 'sqlite', path: ':memory:' }],
    ],
    bad: [
      [
        'postgres://x',
        'DATABASE_URL must use mysql:// (or mariadb://) or sqlite: (got "postgres://")',
      ],
      ['not a url', DATABASE_URL_FORMAT],
      [
        'mysql://127.0.0.1:3306',
        'DATABASE_URL must name a database: mysql://user:password@host:3306/database',
      ],
      [
        'mysql://127.0.0.1/a/b',
        'DATABASE_URL must name a database: mysql://user:password@host:3306/database',
      ],
      ['sqlite:', 'DATABASE_URL sqlite:PATH needs a file path (or sqlite::memory:)'],
      // Found by a probe: "URI malformed" at start-up, naming no variable.
      [
        'mysql://r%ZZ@127.0.0.1/x',
        'DATABASE_URL has a malformed percent escape: write a % in a password as %25',
      ],
      ['mysql://root@127.0.0.1:0/x', 'DATABASE_URL must name a port from 1 to 65535 (got "0")'],
      [
        'mysql://root:p%ss@127.0.0.1/x',
        'DATABASE_URL has a malformed percent escape: write a % in a password as %25',
      ],
    ],
  },
  {
    variable: 'DB_POOL_SIZE',
    pick: (config) => (config.database.type === 'mysql' ? config.database.poolSize : 'sqlite'),
    defaultValue: 'sqlite',
    good: [],
    bad: [
      ['0', 'DB_POOL_SIZE must be an integer from 3 to 1000 (got "0")'],
      ['1', 'DB_POOL_SIZE must be an integer from 3 to 1000 (got "1")'],
      ['2', 'DB_POOL_SIZE must be an integer from 3 to 1000 (got "2")'],
      ['1001', 'DB_POOL_SIZE must be an integer from 3 to 1000 (got "1001")'],
      ['ten', 'DB_POOL_SIZE must be an integer from 3 to 1000 (got "ten")'],
    ],
  },
  {
    variable: 'DB_STATEMENT_TIMEOUT_MS',
    pick: (config) => config.databaseTimeouts.statementMs,
    defaultValue: 5000,
    good: [
      ['0', 0],
      ['250', 250],
      ['3600000', 3_600_000],
    ],
    bad: [
      ['-1', 'DB_STATEMENT_TIMEOUT_MS must be an integer from 0 to 3600000 (got "-1")'],
      ['5s', 'DB_STATEMENT_TIMEOUT_MS must be an integer from 0 to 3600000 (got "5s")'],
      ['3600001', 'DB_STATEMENT_TIMEOUT_MS must be an integer from 0 to 3600000 (got "3600001")'],
    ],
  },
  {
    variable: 'DB_CONNECT_TIMEOUT_MS',
    pick: (config) => config.databaseTimeouts.connectMs,
    defaultValue: 2000,
    good: [
      ['100', 100],
      ['10000', 10_000],
    ],
    bad: [
      ['0', 'DB_CONNECT_TIMEOUT_MS must be an integer from 100 to 600000 (got "0")'],
      ['99', 'DB_CONNECT_TIMEOUT_MS must be an integer from 100 to 600000 (got "99")'],
      ['2.5', 'DB_CONNECT_TIMEOUT_MS must be an integer from 100 to 600000 (got "2.5")'],
    ],
  },
  {
    variable: 'DB_MIGRATE',
    pick: (config) => config.migrate,
    defaultValue: true,
    good: [
      ['false', false],
      ['0', false],
      ['no', false],
      ['OFF', false],
      ['true', true],
      ['1', true],
      ['Yes', true],
      ['on', true],
    ],
    bad: [['maybe', 'DB_MIGRATE must be true or false (got "maybe")']],
  },
  {
    variable: 'DEMO_DATA',
    pick: (config) => config.demoData,
    defaultValue: true,
    good: [
      ['false', false],
      ['true', true],
    ],
    bad: [['2', 'DEMO_DATA must be true or false (got "2")']],
  },
  {
    variable: 'DATA_DIR',
    pick: (config) => [config.dataDir, config.database.type === 'sqlite' && config.database.path],
    defaultValue: [`${CWD}/data`, `${CWD}/data/image-api.sqlite`],
    good: [
      ['/var/lib/image-api', ['/var/lib/image-api', '/var/lib/image-api/image-api.sqlite']],
      ['state', [`${CWD}/state`, `${CWD}/state/image-api.sqlite`]],
    ],
    bad: [],
  },
  {
    variable: 'IMAGE_BASE_URL',
    pick: (config) => config.imageBaseUrl,
    defaultValue: 'https://animethemes.moe/storage/images',
    good: [
      ['https://cdn.example.com/images/', 'https://cdn.example.com/images'],
      ['http://localhost:9000', 'http://localhost:9000'],
    ],
    bad: [
      [
        'ftp://cdn.example.com',
        'IMAGE_BASE_URL must be an absolute http(s) URL (got "ftp://cdn.example.com")',
      ],
      ['/images', 'IMAGE_BASE_URL must be an absolute http(s) URL (got "/images")'],
      [
        'http://cdn.example/img?sig=abc',
        'IMAGE_BASE_URL must be an absolute http(s) URL without a query or fragment (got "http://cdn.example/img?sig=abc")',
      ],
      // Found by a probe: a URL's user and password were shown.
      [
        'https://user:hunter2@cdn.example/img#x',
        'IMAGE_BASE_URL must be an absolute http(s) URL without a query or fragment (got "https://…@cdn.example/img#x")',
      ],
      [
        'https://user:hunter2@cdn.example/a b',
        'IMAGE_BASE_URL must be an absolute http(s) URL (got "https://…@cdn.example/a b")',
      ],
      [
        'https://user:hunter2@cdn.example',
        'IMAGE_BASE_URL must be an absolute http(s) URL without a user, a password or an empty path segment (got "https://…@cdn.example")',
      ],
    ],
  },
  {
    variable: 'PUBLIC_URL',
    pick: (config) => config.publicUrl,
    defaultValue: undefined,
    good: [
      ['https://api.example.com/', 'https://api.example.com'],
      ['https://wiki.example.com/images-api/', 'https://wiki.example.com/images-api'],
    ],
    bad: [
      ['api.example.com', 'PUBLIC_URL must be an absolute http(s) URL (got "api.example.com")'],
      [
        'https:/api.example.com',
        'PUBLIC_URL must be an absolute http(s) URL (got "https:/api.example.com")',
      ],
      [
        'http:api.example.com',
        'PUBLIC_URL must be an absolute http(s) URL (got "http:api.example.com")',
      ],
      [
        'http:\\\\api.example.com',
        'PUBLIC_URL must be an absolute http(s) URL (got "http:\\\\api.example.com")',
      ],
      [
        'https://api.example.com/a b',
        'PUBLIC_URL must be an absolute http(s) URL (got "https://api.example.com/a b")',
      ],
      [
        'http://x.example/y#frag',
        'PUBLIC_URL must be an absolute http(s) URL without a query or fragment (got "http://x.example/y#frag")',
      ],
      [
        'https://user:pw@api.example.com/p',
        'PUBLIC_URL must be an absolute http(s) URL without a user, a password or an empty path segment (got "https://…@api.example.com/p")',
      ],
      [
        'https://api.example.com//evil.example/',
        'PUBLIC_URL must be an absolute http(s) URL without a user, a password or an empty path segment (got "https://api.example.com//evil.example/")',
      ],
    ],
  },
  {
    variable: 'JWT_SECRET',
    pick: (config) => config.jwt.secret,
    defaultValue: undefined,
    good: [['x'.repeat(32), 'x'.repeat(32)]],
    bad: [['short', 'JWT_SECRET must be at least 32 characters long']],
  },
  {
    variable: 'CURSOR_SECRET',
    pick: (config) => config.cursorSecret,
    defaultValue: undefined,
    good: [['c'.repeat(32), 'c'.repeat(32)]],
    bad: [['short', 'CURSOR_SECRET must be at least 32 characters long']],
  },
  {
    variable: 'JWT_PUBLIC_KEY',
    pick: (config) => config.jwt.publicKey,
    defaultValue: undefined,
    good: [
      [
        '-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----',
        '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----',
      ],
    ],
    bad: [
      ['MFkw', 'JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)'],
      [
        '-----BEGIN PRIVATE KEY-----\\nMIGH\\n-----END PRIVATE KEY-----',
        'JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
      ],
      [
        '-----BEGIN EC PRIVATE KEY-----\\nMHcC\\n-----END EC PRIVATE KEY-----',
        'JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
      ],
    ],
  },
  {
    variable: 'JWT_JWKS_URI',
    pick: (config) => config.jwt.jwksUri,
    defaultValue: undefined,
    good: [
      [
        'https://auth.example.com/.well-known/jwks.json',
        'https://auth.example.com/.well-known/jwks.json',
      ],
    ],
    bad: [
      ['jwks.json', 'JWT_JWKS_URI must be an absolute http(s) URL (got "jwks.json")'],
      [
        'ftp://user:hunter2@auth.example/jwks',
        'JWT_JWKS_URI must be an absolute http(s) URL (got "ftp://…@auth.example/jwks")',
      ],
    ],
  },
  {
    variable: 'JWT_ISSUER',
    pick: (config) => config.jwt.issuer,
    defaultValue: undefined,
    good: [['https://auth.example.com/', 'https://auth.example.com/']],
    bad: [],
  },
  {
    variable: 'JWT_AUDIENCE',
    pick: (config) => config.jwt.audience,
    defaultValue: undefined,
    good: [['image-api', 'image-api']],
    bad: [],
  },
  {
    variable: 'LOG_LEVEL',
    pick: (config) => config.logLevel,
    defaultValue: 'info',
    good: [
      ['debug', 'debug'],
      ['WARN', 'warn'],
      ['silent', 'silent'],
    ],
    bad: [
      [
        'verbose',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
      ],
    ],
  },
  {
    variable: 'RATE_LIMIT_PER_MINUTE',
    pick: (config) => config.rateLimitPerMinute,
    defaultValue: 90,
    good: [
      ['0', 0],
      ['600', 600],
    ],
    bad: [
      ['-5', 'RATE_LIMIT_PER_MINUTE must be an integer from 0 to 1000000 (got "-5")'],
      ['fast', 'RATE_LIMIT_PER_MINUTE must be an integer from 0 to 1000000 (got "fast")'],
    ],
  },
  {
    variable: 'RESPONSE_CACHE_MB',
    pick: (config) => config.responseCacheMb,
    defaultValue: 32,
    good: [
      ['0', 0],
      ['256', 256],
    ],
    bad: [
      ['-1', 'RESPONSE_CACHE_MB must be an integer from 0 to 4096 (got "-1")'],
      ['1.5', 'RESPONSE_CACHE_MB must be an integer from 0 to 4096 (got "1.5")'],
    ],
  },
  {
    variable: 'NODE_ENV',
    pick: (config) => config.nodeEnv,
    defaultValue: 'production',
    good: [
      ['development', 'development'],
      ['test', 'test'],
    ],
    bad: [],
  },
];

describe('parseConfig', () => {
  describe.each(VARIABLES)('$variable', ({ variable, pick, defaultValue, good, bad }) => {
    it('should use the default when unset or blank', () => {
      expect(pick(parseConfig({}, CWD))).toEqual(defaultValue);
      expect(pick(parseConfig({ [variable]: '  ' }, CWD))).toEqual(defaultValue);
    });

    if (good.length > 0) {
      it.each(good)(`should read ${variable}=%j`, (value, expected) => {
        expect(pick(parseConfig({ [variable]: value }, CWD))).toEqual(expected);
      });
    }

    if (bad.length > 0) {
      it.each(bad)(`should refuse ${variable}=%j with "%s"`, (value, message) => {
        expect(problemsOf({ [variable]: value })).toEqual([message]);
      });
    }
  });

  it('should size the MySQL pool by DB_POOL_SIZE', () => {
    const config = parseConfig({ DATABASE_URL: 'mysql://db/images', DB_POOL_SIZE: '25' }, CWD);
    expect(config.database).toEqual(mysql({ host: 'db', poolSize: 25 }));
  });

  it('should accept only one JWT key source', () => {
    expect(
      problemsOf({
        JWT_SECRET: 'x'.repeat(32),
        JWT_JWKS_URI: 'https://auth.example.com/jwks.json',
      }),
    ).toEqual(['set only one of JWT_SECRET, JWT_PUBLIC_KEY and JWT_JWKS_URI']);
  });

  it('should report every bad variable at once, in one line', () => {
    let caught: unknown;
    try {
      parseConfig({ PORT: 'abc', DATABASE_URL: 'postgres://x', LOG_LEVEL: 'loud' }, CWD);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe(
      'Invalid configuration: DATABASE_URL must use mysql:// (or mariadb://) or sqlite: (got "postgres://"); ' +
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud"); ' +
        'PORT must be an integer from 1 to 65535 (got "abc")',
    );
    expect((caught as ConfigError).message).not.toContain('\n');
  });

  it('should never put a password or secret into a message', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://app:hunter2@db:3306',
      JWT_SECRET: 'short-secret',
      CURSOR_SECRET: 'short-cursor',
    });
    expect(problems.join(' ')).not.toMatch(/hunter2|short-secret|short-cursor/);
  });

  // Found by a probe: the cache lives on the heap, and RESPONSE_CACHE_MB=256 under npm start's
  // --max-old-space-size=256 filled it and ended the process.
  it('should hold RESPONSE_CACHE_MB to a quarter of the JavaScript heap', () => {
    const heap = 290 * 1024 * 1024;
    expect(parseConfig({ RESPONSE_CACHE_MB: '72' }, '/srv', heap).responseCacheMb).toBe(72);
    expect(() => parseConfig({ RESPONSE_CACHE_MB: '73' }, '/srv', heap)).toThrow(
      'RESPONSE_CACHE_MB must be at most a quarter of the JavaScript heap, 72 here (290 MB; raise --max-old-space-size for more: in the start command, or in NODE_OPTIONS when it sets none) (got "73")',
    );
    expect(parseConfig({}, '/srv', heap).responseCacheMb).toBe(32);
  });
});

// Found by a probe: a value with a line break broke the one-line refusal and could forge a line.
describe('ConfigError', () => {
  it('should say every problem on one line, control characters escaped', () => {
    try {
      parseConfig({ PORT: '1\n2', API_PREFIX: 'a\r\nInvalid configuration: fake\u0007' }, '/srv');
      throw new Error('accepted');
    } catch (error) {
      expect((error as Error).message).toBe(
        'Invalid configuration: API_PREFIX must be a URL path segment such as "api" (got "a\\r\\nInvalid configuration: fake\\u0007"); PORT must be an integer from 1 to 65535 (got "1\\n2")',
      );
      expect((error as ConfigError).problems[1]).toBe(
        'PORT must be an integer from 1 to 65535 (got "1\n2")',
      );
    }
  });
});
