import type { ExampleObject, OpenAPIObject } from '@nestjs/swagger';
import { ValidationFailedError } from '../common/api-error';
import { CreateImageDto } from './dto/create-image.dto';
import { UpdateImageDto } from './dto/update-image.dto';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';
import { parseQuery, type QueryMode } from '../query';
import { HEADERS, type ErrorStatus } from '../openapi/error-responses';
import { ApiOperationDocs } from '../openapi/operation.decorator';
import { itemResponseName, listResponseName } from '../openapi/resource-schemas';

export const IMAGE_TAG = 'image';
export const MESSAGE_RESPONSE = 'MessageResponse';

/** The seed's example image (`image-api.md`), with the contract's timestamps. */
const SEED_IMAGE = {
  image_id: 1,
  path: 'anime/cowboy_bebop_cover.jpg',
  facet: 'Cover',
  link: 'https://animethemes.moe/storage/images/anime/cowboy_bebop_cover.jpg',
  created_at: '2024-01-15T12:00:00.000000Z',
  updated_at: '2024-01-15T12:00:00.000000Z',
};

/** The seed's anime, with every default field of an included anime (API.md section 3). */
const SEED_ANIME = {
  anime_id: 1,
  name: 'Cowboy Bebop',
  slug: 'cowboy_bebop',
  year: 1998,
  season: 'Spring',
  media_format: 'TV',
};

const SEED_LIST_URL = 'https://api.animethemes.moe/api/image';
const SEED_LIST_QUERY = 'include=anime,artists&filter[facet]=Cover&page[size]=10';

/** The seed's list example, completed to the contract's `links` and `meta`. */
export const LIST_EXAMPLES: Record<string, ExampleObject> = {
  seed: {
    summary: `GET /api/image?${SEED_LIST_QUERY}`,
    value: {
      images: [
        {
          ...SEED_IMAGE,
          anime: [SEED_ANIME],
          artists: [],
        },
      ],
      links: {
        first: `${SEED_LIST_URL}?${SEED_LIST_QUERY}&page[number]=1`,
        last: null,
        prev: null,
        // One image on a page of ten: the last page.
        next: null,
      },
      meta: { current_page: 1, from: 1, path: SEED_LIST_URL, per_page: 10, to: 1 },
    },
  },
};

/** The seed's show example. */
export const SHOW_EXAMPLES: Record<string, ExampleObject> = {
  seed: {
    summary: 'GET /api/image/1?include=anime,artists,studios',
    value: {
      image: {
        ...SEED_IMAGE,
        anime: [SEED_ANIME],
        artists: [],
        studios: [{ studio_id: 1, name: 'Sunrise', slug: 'sunrise' }],
      },
    },
  },
};

const WRITTEN_EXAMPLES: Record<string, ExampleObject> = {
  image: { summary: 'The image with its default fields', value: { image: SEED_IMAGE } },
};

/** The 422 body the query parser really answers for `query` on this route. */
function queryErrorExample(query: string, mode: QueryMode): Record<string, unknown> {
  try {
    parseQuery(query, IMAGE_QUERY_SCHEMA, mode);
  } catch (error) {
    if (error instanceof ValidationFailedError)
      return error.getResponse() as Record<string, unknown>;
    throw error;
  }
  throw new Error(`OpenAPI: expected '${query}' to be refused on ${mode}`);
}

/** The 422 of `POST /api/image` with `{}` (test/openapi.e2e-spec.ts checks it is the real one). */
export const CREATE_VALIDATION_EXAMPLE = {
  message: 'The path field is required.',
  errors: {
    path: ['The path field is required.'],
    facet: ['The facet field is required.'],
  },
};

const ID_PARAMETER = {
  name: 'id',
  description: 'The image id (a positive integer; anything else is a 404).',
};

const QUERY_GUIDE =
  'Query parameters are flat and bracketed (`page[size]`, `filter[anime][year]`); an unknown or ' +
  'repeated parameter is a 422 naming it (`page.size`). Filters take operator and logic suffixes ' +
  'in the key (`filter[facet-ne]`, `filter[created_at-gte]`, `filter[path-like]`, ' +
  '`filter[facet-not]`, `filter[year-gte-or]`), see each filter; comma lists mean IN.';

const BODY_ERRORS: readonly ErrorStatus[] = [400, 413, 415];
const AUTH_ERRORS: readonly ErrorStatus[] = [401, 403];

/** `order`: the route's own checks, as it runs them (a create has no 404, a delete no 422). */
function permissionNote(permission: string, order: string): string {
  return `Needs a bearer token with the \`${permission}\` permission. Checks run in this order: ${order} (a body that can't be parsed at all — 400, 413, 415 — may come first).`;
}

/** `GET /api/image` */
export const ApiListImages = (): MethodDecorator =>
  ApiOperationDocs({
    operationId: 'listImages',
    conditional: true,
    summary: 'List images',
    description: `One page of images (15 by default), ordered by \`image_id\` unless sorted, with the relations asked for. No COUNT is run: \`links.last\` is always null. ${QUERY_GUIDE}`,
    public: true,
    query: { schema: IMAGE_QUERY_SCHEMA, mode: 'index' },
    success: {
      status: 200,
      description: 'A page of images (a page past the end has `"images": []`).',
      schema: listResponseName(IMAGE_QUERY_SCHEMA),
      examples: LIST_EXAMPLES,
    },
    errors: [422, 429, 503],
    errorExamples: { 422: queryErrorExample('page[size]=101', 'index') },
  });

/** `GET /api/image/{id}` */
export const ApiShowImage = (): MethodDecorator =>
  ApiOperationDocs({
    operationId: 'showImage',
    conditional: true,
    summary: 'Show an image',
    description: `One image, even a soft-deleted one, with the relations asked for. Filters and \`sort[<type>]\` here narrow and order the included arrays only; \`page\`, \`sort\`, \`sort[image]\`, image-only filters and \`filter[has]\` are 422s. An invalid query is a 422 before a missing id is a 404. ${QUERY_GUIDE}`,
    public: true,
    idParameter: ID_PARAMETER,
    query: { schema: IMAGE_QUERY_SCHEMA, mode: 'show' },
    success: {
      status: 200,
      description: 'The image.',
      schema: itemResponseName(IMAGE_QUERY_SCHEMA),
      examples: SHOW_EXAMPLES,
    },
    errors: [404, 422, 429, 503],
    errorExamples: { 422: queryErrorExample('page[size]=5', 'show') },
  });

const CREATE_IMAGE = 'createImage';

/** `POST /api/image` */
export const ApiCreateImage = (): MethodDecorator =>
  ApiOperationDocs({
    operationId: CREATE_IMAGE,
    summary: 'Create an image',
    description:
      'Two bodies. **JSON** `{"path", "facet"}` creates the record of a file stored elsewhere. ' +
      '**multipart/form-data** with `file` and `facet` stores the file too: its type comes from its ' +
      'bytes (JPEG, PNG, GIF, WebP, AVIF; anything else is a 422), it is stored as ' +
      '`<facet in kebab case>/<40 random letters and digits>.<extension>`, and that becomes `path` ' +
      '(a `path` field is a 422). A file over `UPLOAD_MAX_BYTES` (10 MiB by default) is a 413. ' +
      permissionNote('create image', '401, 403, 422'),
    public: false,
    body: { type: CreateImageDto, description: '`path` and `facet`, both required.' },
    success: {
      status: 201,
      description: 'The created image, with its default fields.',
      schema: itemResponseName(IMAGE_QUERY_SCHEMA),
      examples: WRITTEN_EXAMPLES,
      headers: [HEADERS.location],
    },
    idempotent: true,
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 422, 429, 503],
    errorExamples: { 422: CREATE_VALIDATION_EXAMPLE },
  });

function updateDocs(operationId: string, summary: string): MethodDecorator {
  return ApiOperationDocs({
    operationId,
    summary,
    description: `Changes \`path\` and/or \`facet\` (both optional; an empty body changes nothing). \`updated_at\` moves only when a value changes. PUT and PATCH behave the same. A soft-deleted image is a 404. ${permissionNote('update image', '401, 403, 404, 412, 422')}`,
    public: false,
    idParameter: ID_PARAMETER,
    body: {
      type: UpdateImageDto,
      description: '`path` and/or `facet`; an empty body (or none) changes nothing.',
      required: false,
    },
    success: {
      status: 200,
      description: 'The image, with its default fields.',
      schema: itemResponseName(IMAGE_QUERY_SCHEMA),
      examples: WRITTEN_EXAMPLES,
    },
    ifMatch: true,
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 412, 422, 429, 503],
    errorExamples: {
      422: {
        message: 'The path field must not be empty.',
        errors: { path: ['The path field must not be empty.'] },
      },
    },
  });
}

/** `PUT /api/image/{id}` */
export const ApiReplaceImage = (): MethodDecorator =>
  updateDocs('replaceImage', 'Update an image (PUT)');

/** `PATCH /api/image/{id}` */
export const ApiUpdateImage = (): MethodDecorator => updateDocs('updateImage', 'Update an image');

/** `DELETE /api/image/{id}` */
export const ApiDeleteImage = (): MethodDecorator =>
  ApiOperationDocs({
    operationId: 'deleteImage',
    summary: 'Soft-delete an image',
    description: `Moves the image to the trash: sets \`deleted_at\` (and \`updated_at\`). An image already in the trash is a 404. ${permissionNote('delete image', '401, 403, 404, 412')}`,
    public: false,
    idParameter: ID_PARAMETER,
    success: {
      status: 200,
      description: 'The soft-deleted image, with its default fields.',
      schema: itemResponseName(IMAGE_QUERY_SCHEMA),
      examples: WRITTEN_EXAMPLES,
    },
    ifMatch: true,
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 412, 429, 503],
  });

/** `PATCH /api/restore/image/{id}` (and the unprefixed spelling) */
export const ApiRestoreImage = (): MethodDecorator =>
  ApiOperationDocs({
    operationId: 'restoreImage',
    summary: 'Restore a soft-deleted image',
    description: `Takes the image out of the trash (clears \`deleted_at\`, moves \`updated_at\`); restoring a live image changes nothing. Also served without the API prefix (\`/restore/image/{id}\`, the seed's spelling). ${permissionNote('restore image', '401, 403, 404, 412')}`,
    public: false,
    idParameter: ID_PARAMETER,
    success: {
      status: 200,
      description: 'The image, with its default fields.',
      schema: itemResponseName(IMAGE_QUERY_SCHEMA),
      examples: WRITTEN_EXAMPLES,
    },
    ifMatch: true,
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 412, 429, 503],
  });

/** `DELETE /api/forceDelete/image/{id}` (and the unprefixed spelling) */
export const ApiForceDeleteImage = (): MethodDecorator =>
  ApiOperationDocs({
    operationId: 'forceDeleteImage',
    summary: 'Delete an image for good',
    description: `Removes a live or soft-deleted image and its relation rows; its stored file is removed after that has committed (retried while the store is unreachable). Also served without the API prefix (\`/forceDelete/image/{id}\`, the seed's spelling). ${permissionNote('force delete image', '401, 403, 404, 412')}`,
    public: false,
    idParameter: ID_PARAMETER,
    success: {
      status: 200,
      description: 'Which image was deleted.',
      schema: MESSAGE_RESPONSE,
      examples: {
        deleted: {
          summary: 'The image is gone',
          value: { message: `Image '${SEED_IMAGE.path}' was deleted.` },
        },
      },
    },
    ifMatch: true,
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 412, 429, 503],
  });

/** The facet of an upload form: a choice of names or of the numbers, as form fields are text. */
const UPLOAD_FACET = {
  type: 'string',
  enum: ['Cover', 'Small Cover', 'Grill', 'Large Cover', '0', '1', '2'],
  description: 'Display name (case-insensitive; Large Cover = Cover), or 0, 1, 2.',
  example: 'Cover',
};

/**
 * Adds the multipart body of `POST /api/image` beside its JSON body (API.md section 12): the
 * decorators describe one body per operation, so the document gets the second one here.
 */
export function documentUploadBody(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    const operation = item.post;
    if (operation?.operationId !== CREATE_IMAGE) continue;
    const body = operation.requestBody;
    if (body === undefined || !('content' in body)) continue;
    body.description = 'JSON `{path, facet}`, or a form with the image `file` and its `facet`.';
    body.content['multipart/form-data'] = {
      schema: {
        type: 'object',
        required: ['facet', 'file'],
        properties: {
          facet: UPLOAD_FACET,
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
    };
    const responses = operation.responses as Record<string, { description?: string }>;
    if (responses['400'] !== undefined) {
      responses['400'].description = 'The body is not valid JSON, or not a readable form.';
    }
    if (responses['413'] !== undefined) {
      responses['413'].description = 'A JSON body over 1 MB, or a file over `UPLOAD_MAX_BYTES`.';
    }
    if (responses['415'] !== undefined) {
      responses['415'].description =
        'The body is neither `application/json` nor `multipart/form-data`.';
    }
  }
}
