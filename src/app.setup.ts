import multipart from '@fastify/multipart';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { ApiError } from './common/api-error';
import { accessLogHook, appLogger } from './common/logger.options';
import { requestIdFor } from './common/request-id';
import type { AppConfig } from './config/app-config';
import { APP_CONFIG } from './config/config.module';
import { setupOpenApi } from './openapi/openapi-document';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The Fastify adapter with the server-level options of the contract. */
export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    routerOptions: { ignoreTrailingSlash: true },
    // Graceful shutdown: stop keep-alive connections from holding the server open.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
}

/**
 * Everything that turns a created Nest application into this service: pipes, error handling, hooks,
 * body parsing, logging, shutdown. `main.ts` and the tests both call it.
 */
export function configureApp(app: NestFastifyApplication): INestApplication {
  app.useLogger(app.get(Logger));
  // No global ValidationPipe: every handler takes what the client sent as it came and has it checked
  // where the contract orders the check (ParsedQueryParam for the query, ImageId for `:id`, the
  // service's validateBody for bodies, after the guard and the lookup). A global pipe had nothing
  // to validate and still ran for every parameter of every request.
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the pool, then exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });

  const fastify = app.getHttpAdapter().getInstance();

  // One access log line per request (see logger.options.ts).
  fastify.addHook('onResponse', accessLogHook(appLogger(app.get<AppConfig>(APP_CONFIG))));

  // Request-Id on every answer, set as the request comes in: error answers keep headers set before
  // them (Fastify drops only Content-Type and Content-Length), and an onRequest hook joins the one
  // Nest's adapter already has, where an onSend hook cost every response a hook run of its own.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('Request-Id', request.id);
    done();
  });

  // Only JSON bodies are accepted; anything else is 415 (text/plain would otherwise be parsed).
  // Fastify's own JSON parser (with prototype-poisoning protection) does the parsing; an empty body
  // counts as no body, and a body that is not JSON is the contract's 400.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    /^application\/(?:[\w.+-]+\+)?json(?:$|;)/,
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
      void parseJson(request, body as string, (error, value) => {
        if (error) done(new ApiError(400, 'Malformed JSON body.'), undefined);
        else done(null, value);
      });
    },
  );

  // multipart/form-data for file uploads (POST /api/image, docs/storage.md): parsed by the handler
  // that takes it, after the guards; limits are set per read (image-upload.reader.ts).
  void fastify.register(multipart);

  // GET /docs (Swagger UI) and /docs-json, outside API_PREFIX and the rate limit.
  setupOpenApi(app);

  return app;
}
