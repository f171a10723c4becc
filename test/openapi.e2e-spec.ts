import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IMAGE_QUERY_SCHEMA } from '../src/image/image.query-schema';
import { queryParameters } from '../src/openapi/query-parameters';
import { PAGE_PARAMETERS, parseQuery, type QueryMode, resourcesOf } from '../src/query';
import {
  DocumentValidator,
  operationsOf,
  type OpenApiDocument,
  type OpenApiParameter,
} from './helpers/openapi-document';
import { createTestApp, type TestApp } from './helpers/test-app';

const run = promisify(execFile);

/** Validates the file named by argv[1] and prints the verdict as JSON. */
const SWAGGER_PARSER_SCRIPT = `
const SwaggerParser = require('@apidevtools/swagger-parser');
SwaggerParser.validate(process.argv[1]).then(
  (api) => console.log(JSON.stringify({ valid: true, openapi: api.openapi, title: api.info.title })),
  (error) => console.log(JSON.stringify({ valid: false, error: error.message })),
);`;

/** Writes the document to a temporary file for the duration of `use`. */
async function withDocumentFile<T>(
  document: OpenApiDocument,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    return await use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The routes of the four pivot resources (API.md section 9), merged into one object. */
function pivotRoutes<T>(
  routes: (
    pivot: string,
    parent: string,
    operations: { attach: string; detach: string; list: string; show: string },
  ) => Record<string, T>,
): Record<string, T> {
  return Object.assign(
    {},
    ...['anime', 'artist', 'studio', 'playlist'].map((parent) => {
      const name = `${parent.charAt(0).toUpperCase()}${parent.slice(1)}Image`;
      return routes(`${parent}image`, parent, {
        attach: `attach${name}`,
        detach: `detach${name}`,
        list: `list${name}s`,
        show: `show${name}`,
      });
    }),
  ) as Record<string, T>;
}

/**
 * The document itself: where it is served, that it is valid OpenAPI 3 (swagger-parser) and lint-clean
 * (Redocly's recommended rules), which operations it has, and that the query parameters it lists are
 * exactly those the query parser accepts. The document does not depend on the database, so one
 * SQLite app is enough. (Real responses against it: openapi-responses.e2e-spec.ts.)
 */
interface SchemaShape {
  description?: string;
  type?: string;
  properties?: Record<string, SchemaShape>;
}

describe('OpenAPI document (GET /docs-json)', () => {
  let testApp: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    // A tiny rate limit: the docs must not be limited, and the 429 body is checked below.
    testApp = await createTestApp('sqlite', { env: { RATE_LIMIT_PER_MINUTE: '1' } });
    const response = await testApp.http().get('/docs-json').expect(200);
    document = response.body as OpenApiDocument;
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('should serve OpenAPI 3.0 JSON at /docs-json, outside the API prefix, with the server /', async () => {
    const response = await testApp.http().get('/docs-json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['request-id']).toBeDefined();
    expect(document.openapi).toBe('3.0.3');
    expect(document.servers).toEqual([{ url: '/' }]);
    await testApp.http().get('/api/docs-json').expect(404);
  });

  it("should name PUBLIC_URL's path as the server when it has one (a proxy's path before the routes)", async () => {
    const proxied = await createTestApp('sqlite', {
      env: { PUBLIC_URL: 'https://wiki.example.com/images-api/' },
    });
    try {
      const response = await proxied.http().get('/docs-json').expect(200);
      expect((response.body as OpenApiDocument).servers).toEqual([{ url: '/images-api' }]);
    } finally {
      await proxied.close();
    }
  });

  it('should be a valid OpenAPI 3 document according to @apidevtools/swagger-parser', async () => {
    // swagger-parser is an ES module that Jest's CommonJS loader can't load: validate in a child
    // Node process (which can require it) and read its verdict.
    const { stdout } = await withDocumentFile(document, (file) =>
      run(process.execPath, ['-e', SWAGGER_PARSER_SCRIPT, file], { timeout: 50_000 }),
    );
    expect(JSON.parse(stdout)).toEqual({ valid: true, openapi: '3.0.3', title: 'Image API' });
  });

  it('should have no problem at all under `redocly lint` with the recommended rules', async () => {
    const redocly = join(__dirname, '..', 'node_modules', '.bin', 'redocly');
    const { stdout } = await withDocumentFile(document, (file) =>
      run(redocly, ['lint', file, '--extends=recommended', '--format=json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 50_000,
        // With problems redocly exits non-zero; its report is on stdout all the same.
      }).catch((error: { stdout?: unknown }) => ({
        stdout: typeof error.stdout === 'string' ? error.stdout : '{}',
      })),
    );
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('should name every operation for client generators, tag it, and secure only the writes', () => {
    const operations = Object.fromEntries(
      operationsOf(document).map(([route, operation]) => [
        route,
        {
          operationId: operation.operationId,
          tags: operation.tags,
          security: operation.security,
          hasSummary: (operation.summary ?? '').length > 0,
        },
      ]),
    );
    const publicRoute = (operationId: string) => ({
      operationId,
      tags: ['image'],
      security: [],
      hasSummary: true,
    });
    const bearerRoute = (operationId: string) => ({
      operationId,
      tags: ['image'],
      security: [{ bearer: [] }],
      hasSummary: true,
    });
    expect(operations).toEqual({
      'GET /api/image': publicRoute('listImages'),
      'POST /api/image': bearerRoute('createImage'),
      'GET /api/image/{id}': publicRoute('showImage'),
      'PUT /api/image/{id}': bearerRoute('replaceImage'),
      'PATCH /api/image/{id}': bearerRoute('updateImage'),
      'DELETE /api/image/{id}': bearerRoute('deleteImage'),
      'PATCH /api/restore/image/{id}': bearerRoute('restoreImage'),
      'DELETE /api/forceDelete/image/{id}': bearerRoute('forceDeleteImage'),
      'PATCH /restore/image/{id}': bearerRoute('restoreImageUnprefixed'),
      'DELETE /forceDelete/image/{id}': bearerRoute('forceDeleteImageUnprefixed'),
      ...pivotRoutes((pivot, parent, operations) => ({
        [`GET /api/${pivot}`]: { ...publicRoute(operations.list), tags: [pivot] },
        [`GET /api/${pivot}/{${parent}}/{image}`]: {
          ...publicRoute(operations.show),
          tags: [pivot],
        },
        [`POST /api/${pivot}/{${parent}}/{image}`]: {
          ...bearerRoute(operations.attach),
          tags: [pivot],
        },
        [`DELETE /api/${pivot}/{${parent}}/{image}`]: {
          ...bearerRoute(operations.detach),
          tags: [pivot],
        },
        ...(pivot === 'artistimage'
          ? {
              [`PATCH /api/${pivot}/{${parent}}/{image}`]: {
                ...bearerRoute('updateArtistImage'),
                tags: [pivot],
              },
            }
          : {}),
      })),
    });
    expect(document.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
  });

  it('should document both bodies of POST /api/image: JSON and a multipart form with file and facet', () => {
    const body = document.paths['/api/image'].post?.requestBody as {
      required: boolean;
      content: Record<string, { schema: unknown; encoding?: unknown }>;
    };
    expect(body.required).toBe(true);
    expect(Object.keys(body.content)).toEqual(['application/json', 'multipart/form-data']);
    expect(body.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateImageDto',
    });
    expect(body.content['multipart/form-data']).toEqual({
      schema: {
        type: 'object',
        required: ['facet', 'file'],
        properties: {
          facet: {
            type: 'string',
            enum: ['Cover', 'Small Cover', 'Grill', 'Large Cover', '0', '1', '2'],
            description: 'Display name (case-insensitive; Large Cover = Cover), or 0, 1, 2.',
            example: 'Cover',
          },
          file: {
            type: 'string',
            format: 'binary',
            description:
              'The image: JPEG, PNG, GIF, WebP or AVIF, told by its bytes (not its name or type); at most UPLOAD_MAX_BYTES.',
          },
        },
      },
      encoding: {
        file: { contentType: 'image/jpeg, image/png, image/gif, image/webp, image/avif' },
      },
    });
  });

  it('should declare every status each route can answer', () => {
    const statuses = Object.fromEntries(
      operationsOf(document).map(([route, operation]) => [
        route,
        Object.keys(operation.responses)
          .filter((status) => status !== 'default')
          .map(Number),
      ]),
    );
    const write = [400, 401, 403, 404, 412, 413, 415];
    expect(statuses).toEqual({
      'GET /api/image': [200, 304, 422, 429, 503],
      'POST /api/image': [201, 400, 401, 403, 413, 415, 422, 429, 503],
      'GET /api/image/{id}': [200, 304, 404, 422, 429, 503],
      'PUT /api/image/{id}': [200, ...write, 422, 429, 503],
      'PATCH /api/image/{id}': [200, ...write, 422, 429, 503],
      'DELETE /api/image/{id}': [200, ...write, 429, 503],
      'PATCH /api/restore/image/{id}': [200, ...write, 429, 503],
      'DELETE /api/forceDelete/image/{id}': [200, ...write, 429, 503],
      'PATCH /restore/image/{id}': [200, ...write, 429, 503],
      'DELETE /forceDelete/image/{id}': [200, ...write, 429, 503],
      ...pivotRoutes((pivot, parent) => ({
        [`GET /api/${pivot}`]: [200, 304, 422, 429, 503],
        [`GET /api/${pivot}/{${parent}}/{image}`]: [200, 304, 404, 422, 429, 503],
        [`POST /api/${pivot}/{${parent}}/{image}`]: [
          201, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503,
        ],
        // No If-Match on links: they have no ETag of their own to match (docs/pivots.md).
        [`DELETE /api/${pivot}/{${parent}}/{image}`]: [200, 400, 401, 403, 404, 413, 415, 429, 503],
        ...(pivot === 'artistimage'
          ? {
              [`PATCH /api/${pivot}/{${parent}}/{image}`]: [
                200, 400, 401, 403, 404, 413, 415, 422, 429, 503,
              ],
            }
          : {}),
      })),
    });
  });

  it('should document Idempotency-Key on the create and attaches and If-Match on every image write', () => {
    const headers = Object.fromEntries(
      operationsOf(document).map(([route, operation]) => [
        route,
        (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'header')
          .map((parameter) => parameter.name)
          .sort(),
      ]),
    );
    expect(headers).toEqual({
      'GET /api/image': ['If-None-Match'],
      'POST /api/image': ['Idempotency-Key'],
      'GET /api/image/{id}': ['If-None-Match'],
      'PUT /api/image/{id}': ['If-Match'],
      'PATCH /api/image/{id}': ['If-Match'],
      'DELETE /api/image/{id}': ['If-Match'],
      'PATCH /api/restore/image/{id}': ['If-Match'],
      'DELETE /api/forceDelete/image/{id}': ['If-Match'],
      'PATCH /restore/image/{id}': ['If-Match'],
      'DELETE /forceDelete/image/{id}': ['If-Match'],
      ...pivotRoutes((pivot, parent) => ({
        [`GET /api/${pivot}`]: ['If-None-Match'],
        [`GET /api/${pivot}/{${parent}}/{image}`]: ['If-None-Match'],
        [`POST /api/${pivot}/{${parent}}/{image}`]: ['Idempotency-Key'],
        [`DELETE /api/${pivot}/{${parent}}/{image}`]: [],
        ...(pivot === 'artistimage' ? { [`PATCH /api/${pivot}/{${parent}}/{image}`]: [] } : {}),
      })),
    });
  });

  /** A value the parser accepts for the parameter when the parameter itself is allowed. */
  function sampleValue(name: string): string {
    const field = name.match(/\[([a-z_]+)\]$/)?.[1] ?? '';
    if (name.startsWith('page[')) return field === 'cursor' ? '' : '2';
    if (name === 'include' || field === 'has') return 'anime';
    if (field === 'trashed') return 'with';
    if (name.startsWith('fields[')) {
      const type = resourcesOf(IMAGE_QUERY_SCHEMA).find(
        (resource) => name === `fields[${resource.type}]`,
      );
      return type?.fields[0].name ?? 'x';
    }
    if (name.startsWith('sort')) {
      const type = resourcesOf(IMAGE_QUERY_SCHEMA).find(
        (resource) => name === `sort[${resource.type}]`,
      );
      return (type ?? IMAGE_QUERY_SCHEMA).primaryKey;
    }
    const definition = resourcesOf(IMAGE_QUERY_SCHEMA)
      .flatMap((resource) => resource.fields)
      .find((candidate) => candidate.name === field);
    switch (definition?.type) {
      case 'int':
        return '1';
      case 'date':
        return '2024-01';
      case 'enum':
        return Object.values(definition.enum?.names ?? { 0: 'x' })[0];
      default:
        return 'x';
    }
  }

  /**
   * Every parameter name the grammar could form from the schema's vocabulary (each type, each
   * field of any type, each include, the special filters), plus names that must be refused.
   */
  function candidateNames(): string[] {
    const resources = resourcesOf(IMAGE_QUERY_SCHEMA);
    const types = resources.map((resource) => resource.type);
    const fieldNames = [
      ...new Set(resources.flatMap((resource) => resource.fields.map((field) => field.name))),
      'trashed',
      'has',
    ];
    return [
      'include',
      'fields',
      'sort',
      'filter',
      'page',
      'limit',
      ...[...PAGE_PARAMETERS, 'offset', 'limit'].map((name) => `page[${name}]`),
      ...[...types, 'images', 'artists'].flatMap((type) => [`fields[${type}]`, `sort[${type}]`]),
      ...fieldNames.map((field) => `filter[${field}]`),
      ...[...types, 'artists'].flatMap((type) =>
        fieldNames.map((field) => `filter[${type}][${field}]`),
      ),
    ];
  }

  function accepts(name: string, mode: QueryMode): boolean {
    try {
      parseQuery(`${name}=${encodeURIComponent(sampleValue(name))}`, IMAGE_QUERY_SCHEMA, mode);
      return true;
    } catch {
      return false;
    }
  }

  function queryParameterNames(route: string): string[] {
    const operation = operationsOf(document).find(([candidate]) => candidate === route)?.[1];
    return (operation?.parameters ?? [])
      .filter((parameter) => parameter.in === 'query')
      .map((parameter) => parameter.name);
  }

  it.each([
    ['GET /api/image', 'index'],
    ['GET /api/image/{id}', 'show'],
  ] as const)(
    'should list for %s exactly the query parameters the %s parser accepts, each once',
    (route, mode) => {
      const documented = queryParameterNames(route);
      expect(new Set(documented).size).toBe(documented.length);
      const accepted = candidateNames().filter((name) => accepts(name, mode));
      expect([...documented].sort()).toEqual([...new Set(accepted)].sort());
      // And in the generator's order (page, include, filters, sort, fields, scoped filters).
      expect(documented).toEqual(queryParameters(IMAGE_QUERY_SCHEMA, mode).map((p) => p.name));
    },
  );

  it('should list one filter per filterable field, with its type, values and suffix grammar', () => {
    const list = operationsOf(document).find(([route]) => route === 'GET /api/image')?.[1];
    const byName = new Map(list?.parameters?.map((parameter) => [parameter.name, parameter]));
    expect(byName.get('filter[facet]')).toMatchObject({
      in: 'query',
      required: false,
      style: 'form',
      explode: false,
      schema: { type: 'array', items: { type: 'string', enum: ['Small Cover', 'Cover', 'Grill'] } },
    });
    expect(byName.get('filter[image_id]')?.schema).toEqual({
      type: 'array',
      items: { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 },
    });
    expect(byName.get('filter[trashed]')?.schema).toEqual({
      type: 'string',
      enum: ['with', 'without', 'only'],
    });
    expect(byName.get('filter[has]')?.schema).toEqual({
      type: 'array',
      items: { type: 'string', enum: ['anime', 'artists', 'studios', 'playlists'] },
      uniqueItems: true,
    });
    expect(byName.get('include')?.schema.items).toEqual({
      type: 'string',
      enum: ['anime', 'artists', 'studios', 'playlists'],
    });
    expect(byName.get('page[size]')?.schema).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 15,
    });
    expect(byName.get('filter[facet]')?.description).toBe(
      '**enum** filter on the listed images: one of Small Cover, Cover, Grill (case-insensitive; also: Large Cover). ' +
        'Narrows which images are listed. Operators go in the key: `filter[facet-<op>]` with `eq`, `ne` ' +
        '(`eq` is the default), or `filter[facet-not]` for NOT IN (`<>` for one value); then `-or` ORs the ' +
        'condition with the ones before it (`filter[facet-ne-or]`), `-and` being the default. A comma list ' +
        'means IN (not with a comparison operator); `\\,` is a literal comma.',
    );
    const description = (name: string) => byName.get(name)?.description ?? '';
    expect(description('filter[created_at]')).toContain('`eq`, `ne`, `lt`, `gt`, `lte`, `gte`');
    expect(description('filter[created_at]')).toContain('YYYY-MM-DDTHH:MM:SS.ffffff');
    expect(description('filter[path]')).toContain('`eq`, `ne`, `like`, `notlike`');
    expect(description('filter[year]')).toContain('Narrows only the included arrays');
    expect(description('filter[anime][year]')).toContain('`filter[anime][year-ne-or]`');
  });

  it('should pre-fill nothing in Swagger UI but page[size] (no examples, no other defaults)', () => {
    const prefilled = operationsOf(document).flatMap(([route, operation]) =>
      (operation.parameters ?? [])
        .filter(
          (parameter: OpenApiParameter) => 'example' in parameter || 'default' in parameter.schema,
        )
        .map((parameter) => `${route} ${parameter.name}`),
    );
    expect(prefilled).toEqual([
      'GET /api/image page[size]',
      ...['anime', 'artist', 'studio', 'playlist'].map(
        (parent) => `GET /api/${parent}image page[size]`,
      ),
    ]);
  });

  /** Every schema object of the document, with where it is. */
  function schemasIn(value: unknown, at = '#'): [string, Record<string, unknown>][] {
    if (value === null || typeof value !== 'object') return [];
    const own: [string, Record<string, unknown>][] =
      'type' in value || 'enum' in value ? [[at, value]] : [];
    return [
      ...own,
      ...Object.entries(value).flatMap(([key, entry]) => schemasIn(entry, `${at}/${key}`)),
    ];
  }

  // Found by a probe: OpenAPI 3.0.3 reads `nullable: true` as leaving `enum` alone, so a strict
  // validator refused the nulls the service sends for an anime's season and media_format.
  it('should list null among the values of every nullable enum, and mark no string format: uri', () => {
    const schemas = schemasIn(document);
    expect(
      schemas
        .filter(
          ([, schema]) =>
            Array.isArray(schema.enum) && schema.nullable === true && !schema.enum.includes(null),
        )
        .map(([at]) => at),
    ).toEqual([]);
    expect(
      schemas
        .filter(
          ([, schema]) =>
            Array.isArray(schema.enum) && schema.enum.includes(null) && schema.nullable !== true,
        )
        .map(([at]) => at),
    ).toEqual([]);
    expect(schemas.filter(([, schema]) => schema.format === 'uri').map(([at]) => at)).toEqual([]);
    const anime = (document.components.schemas.Anime as { properties: Record<string, unknown> })
      .properties;
    expect(anime.season).toMatchObject({
      type: 'string',
      enum: ['Winter', 'Spring', 'Summer', 'Fall', null],
      nullable: true,
    });
    expect(anime.media_format).toMatchObject({
      type: 'string',
      enum: ['Unknown', 'TV', 'TV Short', 'OVA', 'Movie', 'Special', 'ONA', null],
      nullable: true,
    });
  });

  // Found by a probe: every image write said "401, 403, 404, 422", the deletes (which judge no
  // body) and the create (which has no id) too, and 412 was missing; the pivots' 409 examples
  // named an anime as the artist, studio or playlist.
  it('should say in which order each write checks, from its own statuses, and name fitting parents', () => {
    const orders = Object.fromEntries(
      operationsOf(document)
        .map(([route, operation]): [string, string | undefined] => [
          route,
          /Checks run in this order: ([\d, ]+) \(/.exec(
            (operation as { description?: string }).description ?? '',
          )?.[1],
        ])
        .filter(([route, order]) => order !== undefined && route.includes('/image')),
    );
    expect(orders).toEqual({
      'POST /api/image': '401, 403, 422',
      'PUT /api/image/{id}': '401, 403, 404, 412, 422',
      'PATCH /api/image/{id}': '401, 403, 404, 412, 422',
      'DELETE /api/image/{id}': '401, 403, 404, 412',
      'PATCH /api/restore/image/{id}': '401, 403, 404, 412',
      'DELETE /api/forceDelete/image/{id}': '401, 403, 404, 412',
      'PATCH /restore/image/{id}': '401, 403, 404, 412',
      'DELETE /forceDelete/image/{id}': '401, 403, 404, 412',
    });
    const conflicts = operationsOf(document)
      .filter(([route]) => route.startsWith('POST /api/') && route.endsWith('/{image}'))
      .map(([, operation]) => {
        const content = operation.responses['409'].content?.['application/json'];
        return (content?.example as { message?: string } | undefined)?.message;
      });
    expect(conflicts).toEqual([
      "Image 'anime/cowboy_bebop_cover.jpg' is already attached to Anime 'Cowboy Bebop'.",
      "Image 'anime/cowboy_bebop_cover.jpg' is already attached to Artist 'Yoko Kanno'.",
      "Image 'anime/cowboy_bebop_cover.jpg' is already attached to Studio 'Sunrise'.",
      "Image 'anime/cowboy_bebop_cover.jpg' is already attached to Playlist 'Space Jazz Openings'.",
    ]);
  });

  it('should give examples that validate against their own schemas', () => {
    const validator = new DocumentValidator(document);
    const problems: string[] = [];
    let checked = 0;
    for (const [route, operation] of operationsOf(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const media = response.content?.['application/json'];
        if (media === undefined) continue;
        const examples = [
          ...(media.example === undefined ? [] : [media.example]),
          ...Object.values(media.examples ?? {}).map((example) => example.value),
        ];
        for (const example of examples) {
          checked += 1;
          for (const error of validator.errorsOf(media.schema, example)) {
            problems.push(`${route} ${status}: ${error.instancePath} ${error.message ?? ''}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it('should refuse bodies the contract forbids (the response schemas are strict)', () => {
    const validator = new DocumentValidator(document);
    const image = {
      image_id: 1,
      path: 'a.jpg',
      facet: 'Cover',
      link: 'https://animethemes.moe/storage/images/a.jpg',
      created_at: '2024-01-15T12:00:00.000000Z',
      updated_at: '2024-01-15T12:00:00.000000Z',
    };
    const show = validator.response('GET /api/image/{id}', 200).content?.['application/json'];
    const problems = (body: unknown) =>
      validator.errorsOf(show?.schema, body).map((error) => error.instancePath);
    expect(problems({ image })).toEqual([]);
    expect(problems({ image: { ...image, extra: 1 } })).toEqual(['/image']);
    expect(problems({ image: { ...image, facet: 'Huge' } })).toEqual(['/image/facet']);
    expect(problems({ image: { ...image, created_at: '2024-01-15T12:00:00Z' } })).toEqual([
      '/image/created_at',
    ]);
    expect(problems({ image: { ...image, anime: [{ anime_id: 1, season: null }] } })).toEqual([]);
    expect(problems({ image: { ...image, anime: [{ anime_id: 1, season: 'Monsoon' }] } })).toEqual([
      '/image/anime/0/season',
    ]);
    expect(problems({ image: { ...image, artists: [{ artist_id: 1 }] } })).toEqual([
      '/image/artists/0',
    ]);
    expect(problems({ images: [] })).toEqual(['', '']);
  });

  it("should carry the seed's list and show examples, with every default field the service renders", () => {
    const validator = new DocumentValidator(document);
    const list = validator.response('GET /api/image', 200).content?.['application/json'];
    const show = validator.response('GET /api/image/{id}', 200).content?.['application/json'];
    const image = {
      image_id: 1,
      path: 'anime/cowboy_bebop_cover.jpg',
      facet: 'Cover',
      link: 'https://animethemes.moe/storage/images/anime/cowboy_bebop_cover.jpg',
      created_at: '2024-01-15T12:00:00.000000Z',
      updated_at: '2024-01-15T12:00:00.000000Z',
    };
    // An included anime renders all six default fields (API.md section 3).
    const anime = {
      anime_id: 1,
      name: 'Cowboy Bebop',
      slug: 'cowboy_bebop',
      year: 1998,
      season: 'Spring',
      media_format: 'TV',
    };
    const query = 'include=anime,artists&filter[facet]=Cover&page[size]=10';
    const url = 'https://api.animethemes.moe/api/image';
    expect(list?.examples?.seed.value).toEqual({
      images: [{ ...image, anime: [anime], artists: [] }],
      // One image on a page of ten is the last page: no next.
      links: { first: `${url}?${query}&page[number]=1`, last: null, prev: null, next: null },
      meta: { current_page: 1, from: 1, path: url, per_page: 10, to: 1 },
    });
    expect(show?.examples?.seed.value).toEqual({
      image: {
        ...image,
        anime: [anime],
        artists: [],
        studios: [{ studio_id: 1, name: 'Sunrise', slug: 'sunrise' }],
      },
    });
  });

  it('should mark a request body required only where the route cannot do without one', () => {
    const required = Object.fromEntries(
      operationsOf(document)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .map(([route, operation]) => [
          route,
          (operation.requestBody as { required?: boolean }).required,
        ]),
    );
    expect(required).toEqual({
      'POST /api/image': true,
      // An empty body changes nothing (API.md section 5); attach bodies are optional (section 9).
      'PUT /api/image/{id}': false,
      'PATCH /api/image/{id}': false,
      ...pivotRoutes((pivot, parent) => ({
        [`POST /api/${pivot}/{${parent}}/{image}`]: false,
        ...(pivot === 'artistimage' ? { [`PATCH /api/${pivot}/{${parent}}/{image}`]: false } : {}),
      })),
    });
    // The attach body of a pivot without columns takes any object (its keys are ignored).
    expect(document.components.schemas.EmptyPivotBody).toEqual({
      type: 'object',
      description: 'Nothing needed; unknown keys are ignored.',
      additionalProperties: true,
    });
  });

  it('should declare every tag it uses, and what the HTTP layer may answer on every operation', async () => {
    expect((document.tags as { name: string }[]).map((tag) => tag.name)).toEqual([
      'image',
      'animeimage',
      'artistimage',
      'studioimage',
      'playlistimage',
    ]);
    const defaults = operationsOf(document).map(([, operation]) => operation.responses.default);
    expect(defaults).toHaveLength(operationsOf(document).length);
    expect(new Set(defaults.map((response) => JSON.stringify(response))).size).toBe(1);
    const response = await testApp.http().get('/api/image').set('Host', 'bad host!').expect(400);
    const validator = new DocumentValidator(document);
    const schema = defaults[0].content?.['application/json']?.schema;
    expect(validator.errorsOf(schema, response.body)).toEqual([]);
    expect(response.body).toEqual({
      message: 'The Host header must be a host name or address, with an optional port.',
    });
  });

  it("should say a hidden playlist is a 404 of the playlist links' writes, and offer filter[has] on lists only", () => {
    const validator = new DocumentValidator(document);
    const described = (route: string, status: number) =>
      validator.response(route, status).description;
    expect(described('POST /api/playlistimage/{playlist}/{image}', 404)).toBe(
      'No live playlist that is Public has this hashid, or no live image this id.',
    );
    expect(described('DELETE /api/playlistimage/{playlist}/{image}', 404)).toBe(
      'Either side is missing or soft-deleted, or the playlist is not Public, or they are not linked.',
    );
    expect(described('DELETE /api/animeimage/{anime}/{image}', 404)).toBe(
      'Either side is missing or soft-deleted, or they are not linked.',
    );
    const showParameters = operationsOf(document)
      .filter(([route]) => route.startsWith('GET ') && route.endsWith('}'))
      .flatMap(([, operation]) => operation.parameters ?? []);
    expect(showParameters.length).toBeGreaterThan(0);
    expect(showParameters.filter((p) => (p.description ?? '').includes('filter[has]'))).toEqual([]);
    const listParameters = operationsOf(document).find(([route]) => route === 'GET /api/image')?.[1]
      .parameters;
    expect(listParameters?.find((p) => p.name === 'filter[anime][year]')?.description).toContain(
      '(except through `filter[has]`)',
    );
  });

  // Found by a probe: the link resources were described as images are (arrays of relations, a
  // "unique identifier" for one half of their key, "A animeimage").
  it('should describe a link resource as what it is: two key columns and its sides as objects', () => {
    const schemas = (
      document as unknown as { components: { schemas: Record<string, SchemaShape> } }
    ).components.schemas;
    expect(schemas.Animeimage.description).toBe(
      'An animeimage. Its keys depend on `fields[animeimage]` and `include`; its included sides follow them, as objects.',
    );
    expect(schemas.Animeimage.properties?.anime_id.description).toBe(
      'One of the 2 columns that together name the animeimage. Rendered by default.',
    );
    expect(schemas.Animeimage.properties?.anime).toMatchObject({ type: 'object' });
    expect(schemas.Image.description).toBe(
      'An image. Its keys depend on `fields[image]` and `include`; included relations follow the fields, as arrays.',
    );
    expect(schemas.Image.properties?.image_id.description).toBe(
      'Unique identifier. Rendered by default.',
    );
  });

  it('should answer 429 with the documented body and Retry-After, and never rate-limit the docs', async () => {
    const validator = new DocumentValidator(document);
    await testApp.http().get('/api/image').expect(200);
    const limited = await testApp.http().get('/api/image').expect(429);
    expect(validator.problemsOf('GET /api/image', limited)).toEqual([]);
    expect(limited.body).toEqual({ message: 'Too Many Attempts.' });
    // The budget headers it sends are declared: on the 200, the 304 and the 429 of every limited route.
    const budget = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
    expect(budget.map((name) => limited.headers[name.toLowerCase()] !== undefined)).toEqual([
      true,
      true,
      true,
    ]);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const responses = (operation as { responses: Record<string, { headers?: object }> })
          .responses;
        const limitedRoute = responses['429'] !== undefined;
        for (const [status, response] of Object.entries(responses)) {
          // Optional on 400, 413 and 415: a form is read (and refused) after the limit counts.
          const carries = limitedRoute && status !== 'default';
          const declared = budget.filter((name) => name in (response.headers ?? {}));
          expect({ route: `${method} ${path} ${status}`, declared }).toEqual({
            route: `${method} ${path} ${status}`,
            declared: carries ? budget : [],
          });
        }
      }
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await testApp.http().get('/docs-json').expect(200);
      await testApp.http().get('/docs').expect(200);
      await testApp.http().get('/docs/swagger-ui-bundle.js').expect(200);
    }
  });
});

describe('Swagger UI (GET /docs)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp('sqlite');
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('should serve the Swagger UI page and its assets with their content types', async () => {
    const page = await testApp.http().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<div id="swagger-ui"></div>');
    expect(page.text).toContain('<title>Image API — Swagger UI</title>');
    const assets: [string, RegExp][] = [
      ['/docs/swagger-ui.css', /^text\/css/],
      ['/docs/swagger-ui-bundle.js', /^application\/javascript/],
      ['/docs/swagger-ui-standalone-preset.js', /^application\/javascript/],
      ['/docs/swagger-ui-init.js', /^application\/javascript/],
      ['/docs/favicon-32x32.png', /^image\/png/],
    ];
    for (const [path, type] of assets) {
      const asset = await testApp.http().get(path).expect(200);
      expect([path, asset.headers['content-type']]).toEqual([path, expect.stringMatching(type)]);
    }
  });

  it('should embed the document in swagger-ui-init.js', async () => {
    const init = await testApp.http().get('/docs/swagger-ui-init.js').expect(200);
    const json = await testApp.http().get('/docs-json').expect(200);
    expect(init.text).toMatch(/"operationId": ?"listImages"/);
    expect(init.text).toMatch(/"title": ?"Image API"/);
    expect((json.body as { info: { title: string } }).info.title).toBe('Image API');
  });

  it('should answer an unknown asset with the contract 404 body', async () => {
    const response = await testApp.http().get('/docs/no-such-file.js').expect(404);
    expect(response.body).toEqual({ message: 'Not Found.' });
  });
});
