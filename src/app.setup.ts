import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { bearerToken } from './auth/token-verifier';
import { ApiError, NotFoundError } from './common/api-error';
import { limitConnections } from './common/connection-limits';
import { corsHook } from './common/cors';
import { drainWindowOver } from './common/graceful-shutdown';
import { isAcceptableHost } from './common/host-header';
import { helmetHeaders } from './common/helmet-headers';
import {
  answerUnmetExpectation,
  clientErrorHandler,
  frameworkErrorHandler,
  refuseConnect,
} from './common/http-layer-errors';
import {
  announcesOversizedBody,
  BODY_LIMIT_BYTES,
  exceedsJsonDepth,
  hasForeignCharset,
  isJsonPatch,
  JSON_CHARSET_MESSAGE,
  JSON_PATCH_MESSAGE,
  MALFORMED_JSON_BODY,
  unsupportedBodyEncoding,
} from './common/json-body';
import { accessLogHook, appLogger } from './common/logger.options';
import { cameAfterRefusal, pipeliningLimitHook } from './common/pipelining';
import { requestIdFor } from './common/request-id';
import { API_HELMET_OPTIONS, DOCS_HELMET_OPTIONS, isDocsPage } from './common/security-headers';
import type { AppConfig } from './config/app-config';
import { APP_CONFIG } from './config/config.module';
import { httpMetricsHook, MetricsService } from './metrics';
import { imageIdOf } from './image/image-id.pipe';
import { IMAGE_RESOURCE } from './image/image.resource';
import { PIVOTS } from './pivot/pivots';
import { answerReadsFirst, ResourceReader } from './query';
import { apiBaseUrl } from './common/public-url';
import { DOCS_PATH, setupOpenApi } from './app.openapi';

/** Swagger UI's page, which gets its own security headers (security-headers.ts). */
const DOCS_ROOT = `/${DOCS_PATH}`;
/**
 * Time limits of the HTTP server (API.md section 10). Node checks them every
 * `connectionsCheckingInterval`, so a limit is kept to within a second.
 */
export const HTTP_TIME_LIMITS = {
  /** The request line and headers must have arrived within this; then 408 and close. */
  headersTimeoutMs: 10_000,
  /** The whole request (its body included) must have arrived within this; then 408 and close. */
  requestTimeoutMs: 30_000,
  /** A kept-alive connection with no request closes after this. */
  keepAliveTimeoutMs: 72_000,
  /**
   * A connection with a request open and no bytes moving either way closes after this: a client
   * that stops reading its answers holds them no longer. Longer than `requestTimeoutMs`, whose 408
   * an incomplete request gets first.
   */
  inactiveConnectionTimeoutMs: 40_000,
  connectionsCheckingIntervalMs: 1_000,
} as const;

/** Methods that change nothing: no route of theirs asks for a token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Node's limit on a request's head (request line and headers): 16 KiB. */
const MAX_HEADER_BYTES = 16 * 1024;

/** The Fastify adapter with the server-level options of the contract. */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // No Nest middleware here: without @fastify/middie every request runs one hook less.
    skipMiddie: true,
    genReqId: requestIdFor,
    // Any path parameter that fits in a request reaches its route, which answers 404 for an id
    // that names nothing; the router's own 414 never happens (frameworkErrors maps it to 404).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_HEADER_BYTES },
    http: {
      headersTimeout: HTTP_TIME_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_TIME_LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: HTTP_TIME_LIMITS.connectionsCheckingIntervalMs,
      maxHeaderSize: MAX_HEADER_BYTES,
      // Checked by the Host hook of configureApp, which answers in the contract's shape.
      requireHostHeader: false,
    },
    requestTimeout: HTTP_TIME_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_TIME_LIMITS.keepAliveTimeoutMs,
    connectionTimeout: HTTP_TIME_LIMITS.inactiveConnectionTimeoutMs,
    // A target that starts with `*` (`OPTIONS *`, `*?x`), which Node lets through, could reach
    // Fastify's last-resort 404, which runs no hooks (no Request-Id, no security headers).
    rewriteUrl: (request: IncomingMessage) => {
      const url = request.url as string;
      return url.charCodeAt(0) === 42 ? `/${url}` : url;
    },
    clientErrorHandler: clientErrorHandler(appLogger(config)),
    frameworkErrors: frameworkErrorHandler(appLogger(config)),
    // Graceful shutdown: stop keep-alive connections from holding the server open. Requests that
    // still arrive get the contract's 503 from the pipelining hook, not Fastify's own.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
  });
}

/**
 * Everything that turns a created Nest application into this service: pipes, error handling, hooks,
 * security headers, CORS, body parsing, logging, metrics. `main.ts` and the tests both call it.
 */
export async function configureApp(
  app: NestFastifyApplication,
  options: { readonly readsFirst?: boolean } = {},
): Promise<INestApplication> {
  app.useLogger(app.get(Logger));
  // No global ValidationPipe: every handler takes what the client sent as it came and has it checked
  // where the contract orders the check (ResourceQuery for the query, ImageId for `:id`, the
  // service's validateBody for bodies, after the guard and the lookup). A global pipe had nothing
  // to validate and still ran for every parameter of every request.
  // SIGTERM/SIGINT: main.ts (handleShutdownSignals).

  const config = app.get<AppConfig>(APP_CONFIG);
  const logger = appLogger(config);
  const fastify = app.getHttpAdapter().getInstance();

  // Request-Id on every answer, set as the request comes in: error answers keep headers set before
  // them (Fastify drops only Content-Type and Content-Length), and an onRequest hook joins the one
  // Nest's adapter already has, where an onSend hook cost every response a hook run of its own.
  // helmet's security headers too, precomputed (helmet-headers.ts; see security-headers.ts), and
  // CORS on every answer (@fastify/cors, run only for requests with an Origin: cors.ts).
  const setApiHeaders = await helmetHeaders(API_HELMET_OPTIONS);
  const setDocsHeaders = await helmetHeaders(DOCS_HELMET_OPTIONS);
  const cors = await corsHook(fastify, config.server.corsOrigins);
  fastify.addHook('onRequest', function securityHeaders(request, reply, done) {
    (isDocsPage(request.url, DOCS_ROOT) ? setDocsHeaders : setApiHeaders)(reply);
    reply.header('request-id', request.id);
    cors.call(this, request, reply, done);
  });

  // At most 16 requests of one connection waiting for their answers (pipelining.ts), so a client
  // that sends many and reads none cannot make the process keep every answer.
  // It also answers 503 once the shutdown has begun (graceful-shutdown.ts).
  fastify.addHook('onRequest', pipeliningLimitHook(fastify.server, logger));

  // Links and Location come from `Host` unless PUBLIC_URL is set: then it must be a plain
  // host[:port], or a link could point anywhere. One `Host` line, and one at all on HTTP/1.1.
  const reflectHost = config.publicUrl === undefined;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersionMajor !== 1) {
      // Node's parser takes `HTTP/2.0` and `HTTP/0.9` in a request line as it takes 1.x: this is
      // an HTTP/1 server, and such a line is as malformed as `HTTP/1.2`, which Node refuses.
      void reply.header('Connection', 'close');
      done(new ApiError(400, 'Malformed HTTP request.'));
    } else if (!isAcceptableHost(request.raw, reflectHost)) {
      done(
        new ApiError(400, 'The Host header must be a host name or address, with an optional port.'),
      );
    } else if (request.method === 'QUERY') {
      // No route takes QUERY: the 404 of any unrouted method, where Fastify would answer one
      // without a Content-Type with a bare 400 before the not-found handler runs.
      done(new NotFoundError());
    } else {
      // No route upgrades, and Node's parser reads nothing more of a connection after a request
      // that asks to: the requests behind it hung unanswered. Its answer closes the connection.
      if (request.headers.upgrade !== undefined) reply.raw.shouldKeepAlive = false;
      done();
    }
  });

  // What Node answers on its own, outside the contract's shape: an `Expect` other than
  // 100-continue (a bare 417) and CONNECT (the connection dropped without a word).
  fastify.server.on('checkExpectation', answerUnmetExpectation(logger));
  // `Expect: 100-continue`: Node would send the 100 for any request, so a client announcing a body
  // the service will refuse sent it all and often lost the 413 when the connection closed. Judged
  // here: the size (Fastify refuses it before reading) and, for a write, whether there is a token
  // at all (the 401 of an upload comes before its body is read; found by a probe). The other
  // refusals need the body read. Without the 100, Node closes the connection after the answer.
  fastify.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const tokenless =
      !SAFE_METHODS.has(request.method ?? '') &&
      bearerToken(request.headers.authorization) === undefined;
    if (!announcesOversizedBody(request.headers) && !tokenless) response.writeContinue();
    fastify.server.emit('request', request, response);
  });
  fastify.server.on('connect', refuseConnect(logger));
  // A client may half-close once its request is sent (RFC 9112 §9.6): it still gets its answer.
  // Node's default ended the connection at once, and a write committed unanswered (found by a probe).
  // Node's own switch, present since its first releases but left out of its docs and types.
  (fastify.server as typeof fastify.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen =
    true;
  // Every header line is kept (the 16 KiB head limit bounds them): Node kept the first 1,000 only,
  // and a second Authorization, Host or Content-Type after them went unseen (found by a probe).
  fastify.server.maxHeadersCount = 0;
  limitConnections(
    fastify.server,
    { total: config.server.maxConnections, perAddress: config.server.maxConnectionsPerIp },
    (message) => logger.warn(message),
  );

  // One access log line per request (see logger.options.ts), and the request metrics.
  fastify.addHook('onResponse', accessLogHook(logger));
  fastify.addHook('onResponse', httpMetricsHook(app.get(MetricsService)));

  // A client that hangs up before its answer (an upload it gave up on, a read it stopped waiting
  // for) is its own doing: one line at info, no stack trace. Watched on the answer, not with
  // Fastify's onRequestAbort: that misses a request whose body had been read, and a write that
  // committed while its client left had no line at all (found by a probe).
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.raw.once('close', () => {
      // Requests a client pipelined after its connection's 429 are dropped with it, as said there.
      if (reply.raw.writableFinished || cameAfterRefusal(request)) return;
      logger.info(
        { req: { id: request.id, method: request.method, url: request.url } },
        // The shutdown's end of the drain window closes what is left: not the client's doing
        // (found by a probe).
        drainWindowOver(fastify.server)
          ? 'request aborted: the shutdown closed the connection at the end of the drain window'
          : 'request aborted: the client closed the connection',
      );
    });
    done();
  });

  // Only JSON bodies are accepted; anything else is 415 (text/plain would otherwise be parsed), and
  // so is a compressed one, by Content-Encoding or Transfer-Encoding (it was parsed as if it were
  // not).
  // Fastify's own JSON parser (with prototype-poisoning protection) does the parsing; a body of no
  // bytes counts as no body, and a body that is not JSON (whitespace alone included), or nests
  // deeper than 32 levels, is the contract's 400.
  // Read as bytes: Fastify's string reading turns bytes that are not UTF-8 into a length mismatch
  // answered "Bad Request."; a body that is not UTF-8 is not JSON (RFC 8259), so it is malformed.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    /^application\/(?:[\w.+-]+\+)?json(?:$|;)/,
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES },
    (request, bytes, done) => {
      const encoded = unsupportedBodyEncoding(request.headers, request.raw.rawHeaders);
      if (encoded !== undefined) return done(new ApiError(415, encoded), undefined);
      if (hasForeignCharset(request.headers['content-type'])) {
        return done(new ApiError(415, JSON_CHARSET_MESSAGE), undefined);
      }
      if (isJsonPatch(request.headers['content-type'])) {
        return done(new ApiError(415, JSON_PATCH_MESSAGE), undefined);
      }
      // No bytes is no body; anything else must be JSON (a BOM alone decodes to '', which is not).
      if ((bytes as Buffer).length === 0) return done(null, undefined);
      let body: string;
      try {
        body = utf8.decode(bytes as Buffer);
      } catch {
        return done(new ApiError(400, MALFORMED_JSON_BODY), undefined);
      }
      // The decoder drops one byte order mark; another is no JSON (Fastify's parser dropped it too).
      if (body.charCodeAt(0) === 0xfeff || exceedsJsonDepth(body)) {
        return done(new ApiError(400, MALFORMED_JSON_BODY), undefined);
      }
      void parseJson(request, body, (error, value) => {
        if (error) done(new ApiError(400, MALFORMED_JSON_BODY), undefined);
        else done(null, value);
      });
    },
  );

  // multipart/form-data for file uploads (POST /api/image, docs/storage.md): parsed by the handler
  // that takes it, after the guards; limits are set per read (image-upload.reader.ts).
  await app.register(multipart);

  // The lists and an image's show answered before Nest's handler (reads-first.ts); not with the
  // rate limit on, which is a guard of Nest's. `readsFirst: false` is for the test that proves the
  // answers equal.
  if (options.readsFirst !== false && config.rateLimitPerMinute === 0) {
    const base = (path: string) => (request: FastifyRequest) =>
      `${apiBaseUrl(config, request)}/${path}`;
    const image = { resource: IMAGE_RESOURCE, baseUrl: base('image') };
    answerReadsFirst(fastify, app.get(ResourceReader), [
      { path: `/${config.apiPrefix}/image`, ...image },
      { path: `/${config.apiPrefix}/image/:id`, ...image, key: (params) => imageIdOf(params.id) },
      ...PIVOTS.map((pivot) => ({
        path: `/${config.apiPrefix}/${pivot.name}`,
        resource: pivot.resource,
        baseUrl: base(pivot.name),
      })),
    ]);
  }

  // GET /docs (Swagger UI) and /docs-json, outside API_PREFIX and the rate limit.
  setupOpenApi(app);

  return app;
}
