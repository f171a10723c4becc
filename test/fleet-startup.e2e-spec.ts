import { stablePort } from './helpers/ports';
import { ServiceProcess } from './helpers/service-process';

/**
 * An instance configured for a fleet (REDIS_URL or DATABASE_REPLICA_URLS) refuses to start with a
 * generated JWT or cursor secret: the real process, its exit code and its one line on stderr.
 */
const started: ServiceProcess[] = [];

async function start(env: Record<string, string>): Promise<ServiceProcess> {
  const name = `fleet-start-${started.length}`;
  const service = new ServiceProcess(name, await stablePort(), env);
  started.push(service);
  return service;
}

afterAll(async () => {
  await Promise.all(started.map((service) => service.close()));
});

const generated = (variable: string, by: string) =>
  `${variable} must be set when ${by} is set: every instance would generate a secret of its own`;

describe('fleet safety at start-up', () => {
  let noSecrets: ServiceProcess;
  let noCursorSecret: ServiceProcess;

  // 240 s a test: each process compiles the app with ts-node first, a minute on a loaded machine.
  beforeAll(async () => {
    // Started together: each compiles the app for a few seconds.
    noSecrets = await start({ REDIS_URL: 'redis://127.0.0.1:6379' });
    noCursorSecret = await start({
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/image_api',
      DATABASE_REPLICA_URLS: 'mysql://root@127.0.0.1:3306/image_api',
      JWT_SECRET: 'fleet-startup-test-secret-0123456789abcdef',
    });
  });

  it('should exit 1 naming JWT_SECRET and CURSOR_SECRET when REDIS_URL is set without them', async () => {
    expect(await noSecrets.exited).toEqual({ code: 1, signal: null });
    expect(noSecrets.output.stderr).toBe(
      `Invalid configuration: ${generated('JWT_SECRET (or JWT_PUBLIC_KEY or JWT_JWKS_URI)', 'REDIS_URL')}; ` +
        `${generated('CURSOR_SECRET', 'REDIS_URL')}\n`,
    );
    expect(noSecrets.output.stdout).toBe('');
  }, 240_000);

  it('should exit 1 naming CURSOR_SECRET when replicas are set with a JWT secret only', async () => {
    expect(await noCursorSecret.exited).toEqual({ code: 1, signal: null });
    expect(noCursorSecret.output.stderr).toBe(
      `Invalid configuration: ${generated('CURSOR_SECRET', 'DATABASE_REPLICA_URLS')}\n`,
    );
    expect(noCursorSecret.output.stdout).toBe('');
  }, 240_000);
});
