import type { FastifyCorsOptions, FastifyCorsOptionsDelegateCallback } from '@fastify/cors';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyRequest } from 'fastify';

/**
 * Security headers (`@fastify/helmet`) and CORS (`@fastify/cors`), API.md section 10.
 *
 * Two sets of helmet's headers. Swagger UI at `/docs` (`DOCS_HELMET_OPTIONS`) gets a
 * Content-Security-Policy it works under (its scripts and styles are files of this origin; it uses
 * inline styles and `data:` images) and helmet's other headers for pages. Every other answer is
 * JSON or a stored image, which no browser runs as a page (`API_HELMET_OPTIONS`): the strictest
 * policy there is (`default-src 'none'`, the OWASP REST recommendation; inline styles for the
 * browser's own viewers), and none of the headers that only govern documents (COOP,
 * `Origin-Agent-Cluster`, `X-DNS-Prefetch-Control`, `X-Download-Options`,
 * `X-Permitted-Cross-Domain-Policies`, `X-XSS-Protection`), which Node validated and sent on every
 * answer (docs/PERFORMANCE.md). Both: no framing at all
 * (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), `nosniff`, `Referrer-Policy`, HSTS, and
 * `Cross-Origin-Resource-Policy: cross-origin` (the reads are public and meant to be used from
 * other origins). No `upgrade-insecure-requests`: over plain HTTP (a local run) it would send the
 * page's own assets to an HTTPS port that is not there.
 */
export const DOCS_HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  frameguard: { action: 'deny' },
};

export const API_HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    // Inline styles: the browser's own viewer of an image (or JSON) opened in a tab styles its page
    // so; nothing here can run a script.
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  frameguard: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  dnsPrefetchControl: false,
  ieNoOpen: false,
  permittedCrossDomainPolicies: false,
  xssFilter: false,
};

/**
 * Whether a request URL is Swagger UI's (`root`, as `/docs`, and its files under `/docs/`), not
 * the API's.
 */
export function isDocsPage(url: string, root: string): boolean {
  if (!url.startsWith(root)) return false;
  const next = url.charCodeAt(root.length);
  // The end, `/`, `?`: the page and its files; `/docs-json` is JSON, and `/docsx` nothing.
  return Number.isNaN(next) || next === 47 || next === 63;
}

const READ_METHODS = ['GET', 'HEAD'];
const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

/** Headers a browser may send: on reads, and on writes. */
const READ_REQUEST_HEADERS = ['Authorization', 'If-None-Match', 'X-Request-Id'];
const WRITE_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'Idempotency-Key',
  'X-Request-Id',
];
/** Answer headers a script may read (besides the CORS-safelisted ones). */
const EXPOSED_HEADERS = [
  'ETag',
  // A replayed create or attach says so (found by a probe: a script could not tell).
  'Idempotent-Replayed',
  'Location',
  'Request-Id',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];
/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

function methodAsked(request: FastifyRequest): string | undefined {
  if (request.method !== 'OPTIONS') return request.method;
  const asked = request.headers['access-control-request-method'];
  return typeof asked === 'string' ? asked.toUpperCase() : undefined;
}

/**
 * The CORS options of each request: reads (GET, HEAD, and their preflights) from any origin
 * (`Access-Control-Allow-Origin: *`, no credentials: tokens travel in `Authorization`, never in
 * cookies); writes and their preflights only from `writeOrigins` (the request's `Origin` is echoed
 * when listed, otherwise no CORS header is sent and the browser keeps the answer from the page).
 * Preflights are answered 204 by the plugin; an `OPTIONS` request that is no preflight (no
 * `Origin` or no `Access-Control-Request-Method`) gets no CORS treatment and is a 404 like any
 * unknown route. A request without `Origin` is no CORS request (browsers send one on every
 * cross-origin call): it gets only `Vary: Origin`, so that no cache hands its answer to one that is.
 */
export function corsOptionsFor(
  writeOrigins: readonly string[] | '*',
): FastifyCorsOptionsDelegateCallback {
  const common = {
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    strictPreflight: false,
  };
  const reads: FastifyCorsOptions = {
    ...common,
    origin: '*',
    methods: READ_METHODS,
    allowedHeaders: READ_REQUEST_HEADERS,
  };
  const writes: FastifyCorsOptions = {
    ...common,
    origin: writeOrigins === '*' ? '*' : [...writeOrigins],
    methods: [...READ_METHODS, ...WRITE_METHODS],
    allowedHeaders: WRITE_REQUEST_HEADERS,
  };
  const none: FastifyCorsOptions = { origin: false };
  return (request, callback) => {
    const method = methodAsked(request);
    if (request.headers.origin === undefined || (request.method === 'OPTIONS' && !method)) {
      callback(null, none);
    } else {
      callback(null, method !== undefined && READ_METHODS.includes(method) ? reads : writes);
    }
  };
}
