import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { onRequestHookHandler } from 'fastify';
import { NotFoundError } from './common/api-error';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  type PathItemObject,
  SwaggerModule,
} from '@nestjs/swagger';
import type { AppConfig } from './config/app-config';
import { APP_CONFIG } from './config/config.module';
import { IMAGE_QUERY_SCHEMA } from './image/image.query-schema';
import { registeredComponentSchemas } from './openapi/component-registry';
import { errorSchemas, HEADER_COMPONENTS, httpLayerResponse } from './openapi/error-responses';
import { documentUploadBody, IMAGE_TAG, MESSAGE_RESPONSE } from './image/image.openapi';
import { resourceSchemas } from './openapi/resource-schemas';
import { documentEmptyPivotBody, pivotTagDescription } from './pivot/pivot.openapi';
import { PIVOTS } from './pivot/pivots';

/** `GET /docs` (Swagger UI) and `GET /docs-json` (the document), outside API_PREFIX. */
export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = `/${DOCS_PATH}-json`;

/** The name of the bearer scheme (`@ApiBearerAuth()`'s default, used by `@RequirePermission`). */
export const BEARER_SCHEME = 'bearer';

/** The suffix that tells the seed's unprefixed spellings apart (`restoreImageUnprefixed`). */
export const UNPREFIXED_SUFFIX = 'Unprefixed';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function packageVersion(): string {
  try {
    // src/ and dist/ are both one level below the package root.
    const manifest = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const DESCRIPTION = `The Image resource of an anime wiki: cover images, artwork and other visual assets, with
the anime, artists, studios and playlists that use them.

- **Reads** are public. Every query parameter is its own flat, bracketed parameter
  (\`page[size]\`, \`fields[anime]\`, \`filter[anime][year]\`); filters take operator and logic
  suffixes in the key (\`filter[created_at-gte]\`, \`filter[facet-not]\`, \`filter[path-like-or]\`).
- **Writes** need a bearer JWT carrying the route's permission (\`create image\`, \`update image\`,
  \`delete image\`, \`restore image\`, \`force delete image\`); attaching, detaching or changing a link
  needs two, one for each side (\`create anime\` and \`create image\` to attach an image to an anime).
  Locally, \`npm run -s token -- --sub alice --all\` prints one; paste it into **Authorize**.
- **Errors** are always \`{"message": "...", "errors"?: {"<key>": ["..."]}}\`. Besides each route's own
  statuses, any request may be refused before it reaches a route (each operation's \`default\`
  response): 400 (a malformed request, \`Host\` or percent escape), 408 (a request too slow to
  arrive), 414 (a request line too long), 431 (a request head over 16 KiB).
- Every response carries a \`Request-Id\` header (the request's own \`X-Request-Id\` when it sends a
  sane one).`;

/** The path of `publicUrl` (`https://host/images-api` → `/images-api`), `/` when it has none. */
function serverPath(publicUrl: string | undefined): string {
  const path = publicUrl === undefined ? '/' : new URL(publicUrl).pathname.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** The document's fixed parts: info, server, tags, the bearer scheme. */
function documentConfig(config: AppConfig): Omit<OpenAPIObject, 'paths'> {
  return (
    new DocumentBuilder()
      .setTitle('Image API')
      .setDescription(DESCRIPTION)
      .setVersion(packageVersion())
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      // Swagger UI calls the API on the origin it was loaded from (its CSP allows no other), under
      // the path a proxy puts before the routes (PUBLIC_URL's); linters reject `servers: []`.
      .addServer(serverPath(config.publicUrl))
      .addTag(IMAGE_TAG, 'Images and their relations (anime, artists, studios, playlists).')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT with `sub` and a `permissions` array (HS256 with JWT_SECRET, or RS256/ES256 with a public key or JWKS).',
        },
        BEARER_SCHEME,
      )
      .build()
  );
}

function operationsOf(item: PathItemObject): OperationObject[] {
  return HTTP_METHODS.flatMap((method) => (item[method] === undefined ? [] : [item[method]]));
}

/**
 * The seed's unprefixed spellings (`/restore/image/{id}`) are the same handlers as the prefixed
 * routes, so they carry the same operation ids; a client generator needs each id once. Operations
 * outside API_PREFIX whose id is also used inside it get the `Unprefixed` suffix.
 */
function distinguishUnprefixedAliases(document: OpenAPIObject, apiPrefix: string): void {
  const prefixed = new Set<string>();
  const aliases: OperationObject[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    const underPrefix = path.startsWith(`/${apiPrefix}/`) || path === `/${apiPrefix}`;
    for (const operation of operationsOf(item)) {
      if (operation.operationId === undefined) continue;
      if (underPrefix) prefixed.add(operation.operationId);
      else aliases.push(operation);
    }
  }
  for (const operation of aliases) {
    if (operation.operationId === undefined || !prefixed.has(operation.operationId)) continue;
    operation.operationId = `${operation.operationId}${UNPREFIXED_SUFFIX}`;
    operation.summary = `${operation.summary ?? ''} (without the API prefix)`.trim();
  }
}

/**
 * The OpenAPI 3 document of the running application: routes and their decorators (see
 * `image.openapi.ts`), plus the components generated from the image query schema.
 */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, documentConfig(config));
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...resourceSchemas(IMAGE_QUERY_SCHEMA),
      ...registeredComponentSchemas(),
      [MESSAGE_RESPONSE]: {
        type: 'object',
        properties: { message: { type: 'string' } },
        required: ['message'],
        additionalProperties: false,
      },
      ...errorSchemas(),
    },
    headers: { ...document.components?.headers, ...HEADER_COMPONENTS },
  };
  // `nullable` with `null` among an enum's values, read as 3.0.3 says (3.0.0 left it open).
  document.openapi = '3.0.3';
  document.tags = [
    ...(document.tags ?? []),
    ...PIVOTS.map((pivot) => ({ name: pivot.name, description: pivotTagDescription(pivot) })),
  ];
  distinguishUnprefixedAliases(document, config.apiPrefix);
  documentUploadBody(document);
  documentEmptyPivotBody(document);
  for (const item of Object.values(document.paths)) {
    for (const operation of operationsOf(item)) operation.responses.default = httpLayerResponse();
  }
  return document;
}

/**
 * The files of `swagger-ui-dist` the page at `/docs` loads (Nest serves its HTML and
 * `swagger-ui-init.js` itself). The folder's others are 404s: its package.json and README (which
 * name the version), node entry points, source maps, and a demo `index.html` that opens the
 * petstore's document.
 */
const DOCS_FILES = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

/** An `onRequest` hook of the static files' route: `*` is the file name, percent-decoded. */
const refuseUnlistedDocsFile: onRequestHookHandler = (request, _reply, done) => {
  const file = (request.params as { '*'?: string })['*'] ?? '';
  done(DOCS_FILES.has(file) ? undefined : new NotFoundError());
};

/**
 * Serves Swagger UI at `/docs` and the document at `/docs-json`, outside API_PREFIX. The document
 * is built on the first request, once; the UI's assets come from `swagger-ui-dist`.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  // swagger-ui-dist's folder is served whole under /docs/; only the page's own files are answered.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      if (route.url !== `/${DOCS_PATH}/*`) return;
      route.onRequest = [...[route.onRequest ?? []].flat(), refuseUnlistedDocsFile];
    });
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Image API — Swagger UI',
    swaggerOptions: {
      // Keep the order of the document (it follows the controllers), and show how long calls take.
      displayRequestDuration: true,
      docExpansion: 'list',
      defaultModelsExpandDepth: 0,
      tryItOutEnabled: false,
    },
  });
}
