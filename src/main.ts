// First, before the framework queues ticks (see next-tick-shape.ts).
import { holdNextTickShape } from './common/next-tick-shape';
holdNextTickShape();
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { handleShutdownSignals } from './common/graceful-shutdown';
import { appLogger } from './common/logger.options';
import { ConfigError } from './config/app-config';
import { migrationsRunning } from './database/migration-lock';
import { loadConfigFromEnvironment } from './config/load-env';
import { describeStartup, startMessageListeners } from './microservice/message-listeners';

async function bootstrap(): Promise<void> {
  const config = loadConfigFromEnvironment();
  // A stop asked for while starting (connecting, migrating): nothing is in flight yet, so the
  // process ends at once, with the 0 of a drained stop rather than a death by signal; once the
  // migration running, if any, is over (database/migration-lock.ts). A second signal changes nothing.
  let stopAsked = false;
  const stopWhileStarting = (signal: NodeJS.Signals) => {
    if (stopAsked) return;
    stopAsked = true;
    const logger = appLogger(config);
    const stop = () => {
      logger.info({ signal }, 'stopped before start-up finished');
      process.exit(0);
    };
    const migrating = migrationsRunning();
    if (migrating === undefined) return stop();
    logger.info({ signal }, 'stopping once the running migrations are over');
    void migrating.then(stop);
  };
  process.on('SIGTERM', stopWhileStarting).on('SIGINT', stopWhileStarting);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createFastifyAdapter(config),
    // Logs wait for pino; a failed start prints only the one line below. `bodyParser: false`: Nest
    // would otherwise add its own JSON and urlencoded parsers at init, over configureApp's.
    { bufferLogs: true, abortOnError: false, logger: false, bodyParser: false },
  );
  await configureApp(app);
  process.off('SIGTERM', stopWhileStarting).off('SIGINT', stopWhileStarting);
  // SIGTERM/SIGINT: stop accepting, drain for at most SHUTDOWN_TIMEOUT_MS, close the rest, exit 0.
  handleShutdownSignals(app, config.server.shutdownTimeoutMs, appLogger(config));
  // TCP (MICROSERVICE_PORT) and NATS (NATS_URL) listeners, when configured, in the same process.
  const listeners = await startMessageListeners(app, config);
  await app.listen(config.port, '0.0.0.0');
  const { summary, line } = describeStartup(config, listeners, {
    host: '0.0.0.0',
    port: config.port,
  });
  appLogger(config).info({ listening: summary }, line);
}

bootstrap().catch((error: unknown) => {
  // One clear line, not a stack trace: start-up fails on configuration or an unreachable database.
  const message =
    error instanceof ConfigError ? error.message : `Start-up failed: ${startupFailure(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});

/**
 * What went wrong, in words: a NATS client error says only its code (`CONNECTION_REFUSED`), which
 * named neither NATS nor where to look (found by a probe).
 */
function startupFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'NatsError') {
    return `NATS (NATS_URL) could not be used: ${error.message}`;
  }
  return error.message;
}
