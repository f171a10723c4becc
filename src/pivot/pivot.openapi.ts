import type { OpenAPIObject } from '@nestjs/swagger';
import { ValidationFailedError } from '../common/api-error';
import { registerResourceSchema } from '../openapi/component-registry';
import type { ErrorStatus } from '../openapi/error-responses';
import { ApiOperationDocs } from '../openapi/operation.decorator';
import { componentName, itemResponseName, listResponseName } from '../openapi/resource-schemas';
import { parseQuery, type QueryMode } from '../query';
import { DepthBody, EmptyPivotBody } from './pivot-body.dto';
import { DEPTH_COLUMN, PivotDefinition } from './pivot-definition';

const TIMESTAMP = '2024-01-15T12:00:00.000000Z';

/** `animeimage` → `Animeimage` in operation ids (`attachAnimeimage`...). */
function operationSuffix(pivot: PivotDefinition): string {
  return `${componentName(pivot.parent.schema.type)}Image`;
}

/** The link, its list and show bodies, in `components.schemas` (generated from the schema). */
function registerLinkSchemas(pivot: PivotDefinition): void {
  registerResourceSchema(pivot.schema);
}

/** The 422 body the query parser really answers for `query` on this pivot's route. */
function queryErrorExample(pivot: PivotDefinition, query: string, mode: QueryMode) {
  try {
    parseQuery(query, pivot.schema, mode);
  } catch (error) {
    if (error instanceof ValidationFailedError) {
      return error.getResponse() as Record<string, unknown>;
    }
    throw error;
  }
  throw new Error(`OpenAPI: expected '${query}' to be refused on ${mode}`);
}

const QUERY_GUIDE =
  'Query parameters are flat and bracketed (`page[size]`, `filter[image][facet]`); an unknown or ' +
  'repeated parameter is a 422 naming it.';

/** The pivot's tag in the document. */
export function pivotTagDescription(pivot: PivotDefinition): string {
  const parent = pivot.parent.schema.type;
  return `Links between images and ${parent === 'anime' ? 'anime' : `${parent}s`}: list, show, attach and detach them.`;
}

/** The attach body of a pivot without columns: any JSON object, its keys ignored. */
export function documentEmptyPivotBody(document: OpenAPIObject): void {
  const schemas = document.components?.schemas;
  if (schemas?.[EmptyPivotBody.name] === undefined) return;
  schemas[EmptyPivotBody.name] = {
    type: 'object',
    description: 'Nothing needed; unknown keys are ignored.',
    additionalProperties: true,
  };
}

/** `GET /api/<pivot>` */
export const ApiListLinks = (pivot: PivotDefinition): MethodDecorator => {
  registerLinkSchemas(pivot);
  const parent = pivot.parent.schema.type;
  return ApiOperationDocs({
    operationId: `list${operationSuffix(pivot)}s`,
    conditional: true,
    summary: `List the links between ${parent === 'anime' ? 'anime' : `${parent}s`} and images`,
    description: `One page of links (15 by default), ordered by \`${pivot.parentColumn}\`, \`image_id\` unless sorted. Links whose ${parent} or image is soft-deleted${pivot.parent.schema.fixedConditions === undefined ? '' : `, or whose ${parent} is not Public,`} are never listed. \`include=${parent},image\` embeds both sides as objects; \`filter[${parent}][...]\` and \`filter[image][...]\` list only the links whose side matches. No COUNT is run: \`links.last\` is always null. ${QUERY_GUIDE}`,
    public: true,
    query: { schema: pivot.schema, mode: 'index' },
    success: {
      status: 200,
      description: `A page of links (a page past the end has \`"${pivot.schema.pluralKey}": []\`).`,
      schema: listResponseName(pivot.schema),
    },
    errors: [422, 429, 503],
    errorExamples: { 422: queryErrorExample(pivot, 'page[size]=101', 'index') },
  });
};

/** `GET /api/<pivot>/{parent}/{image}` */
export const ApiShowLink = (pivot: PivotDefinition): MethodDecorator => {
  registerLinkSchemas(pivot);
  return ApiOperationDocs({
    operationId: `show${operationSuffix(pivot)}`,
    conditional: true,
    summary: `Show the link of ${article(pivot)} ${pivot.parent.schema.type} and an image`,
    description: `The link, with \`include\` and \`fields\` as on the list. A missing, soft-deleted or hidden side, or no link, is a 404; an invalid query is a 422 first. ${QUERY_GUIDE}`,
    public: true,
    pathParameters: pathParameters(pivot),
    query: { schema: pivot.schema, mode: 'show' },
    success: {
      status: 200,
      description: 'The link.',
      schema: itemResponseName(pivot.schema),
      examples: { link: { summary: 'The link', value: { [pivot.name]: exampleLink(pivot) } } },
    },
    errors: [404, 422, 429, 503],
    errorExamples: { 404: NOT_FOUND, 422: queryErrorExample(pivot, 'page[size]=5', 'show') },
    errorDescriptions: {
      404: 'Either side is missing, soft-deleted or hidden, or they are not linked.',
    },
  });
};

function article(pivot: PivotDefinition): string {
  return pivot.parent.label === 'Anime' || pivot.parent.label === 'Artist' ? 'an' : 'a';
}

function exampleLink(pivot: PivotDefinition): Record<string, unknown> {
  return {
    [pivot.parentColumn]: 1,
    image_id: 1,
    ...(pivot.depth ? { [DEPTH_COLUMN]: 1 } : {}),
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  };
}

/** A name the example messages give the parent, one that fits its kind. */
const EXAMPLE_PARENT_NAMES: Readonly<Record<string, string>> = {
  Anime: 'Cowboy Bebop',
  Artist: 'Yoko Kanno',
  Studio: 'Sunrise',
  Playlist: 'Space Jazz Openings',
};

function exampleMessage(pivot: PivotDefinition, done: string): string {
  const label = pivot.parent.label;
  return `Image 'anime/cowboy_bebop_cover.jpg' ${done} ${label} '${EXAMPLE_PARENT_NAMES[label] ?? label}'.`;
}

function pathParameters(pivot: PivotDefinition) {
  const { schema, keyColumn } = pivot.parent;
  return [
    {
      name: schema.type,
      description: `The ${schema.type}'s \`${keyColumn}\`. A missing or soft-deleted ${schema.type}${schema.fixedConditions === undefined ? '' : ', or one that is not Public,'} is a 404.`,
      schema: { type: 'string', maxLength: 255 },
    },
    {
      name: 'image',
      description: 'The image id (a positive integer). A missing or soft-deleted image is a 404.',
      schema: { type: 'integer', minimum: 1 },
    },
  ];
}

/** `note` for a parent resource with hidden rows (playlists that are not Public), else nothing. */
function hiddenNote(pivot: PivotDefinition, note: string): string {
  return pivot.parent.schema.fixedConditions === undefined ? '' : note;
}

function permissionNote(permissions: readonly string[], order: string): string {
  return `Needs a bearer token with the ${permissions.map((name) => `\`${name}\``).join(' and ')} permissions. Checks run in this order: ${order} (a body that can't be parsed at all — 400, 413, 415 — may come first).`;
}

const AUTH_ERRORS: readonly ErrorStatus[] = [401, 403];
const BODY_ERRORS: readonly ErrorStatus[] = [400, 413, 415];

const NOT_FOUND = { message: 'Not Found.' };

/** `POST /api/<pivot>/{parent}/{image}` */
export const ApiAttach = (pivot: PivotDefinition): MethodDecorator => {
  registerLinkSchemas(pivot);
  return ApiOperationDocs({
    operationId: `attach${operationSuffix(pivot)}`,
    idempotent: true,
    summary: `Attach an image to ${article(pivot)} ${pivot.parent.schema.type}`,
    description: `Links the image to the ${pivot.parent.schema.type}. Moves neither side's \`updated_at\`; image lists and shows that include ${pivot.parent.schema.type} relations show it at once. Linking a pair twice is a 409, also when two requests race. ${permissionNote(pivot.permissions.attach, '401, 403, 404, 422, 409')}`,
    public: false,
    pathParameters: pathParameters(pivot),
    body: pivot.depth
      ? { type: DepthBody, description: '`depth` (optional, null when absent).', required: false }
      : {
          type: EmptyPivotBody,
          description: 'None needed; unknown keys are ignored.',
          required: false,
        },
    success: {
      status: 201,
      description: 'The new link.',
      schema: itemResponseName(pivot.schema),
      examples: { link: { summary: 'The link', value: { [pivot.name]: exampleLink(pivot) } } },
      headers: ['Location'],
    },
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 409, 422, 429, 503],
    errorExamples: {
      404: NOT_FOUND,
      409: {
        message: exampleMessage(pivot, 'is already attached to'),
      },
      ...(pivot.depth
        ? {
            422: {
              message: 'The depth field must be at least 1.',
              errors: { depth: ['The depth field must be at least 1.'] },
            },
          }
        : {
            422: {
              message: 'The request body must be a JSON object.',
              errors: { body: ['The request body must be a JSON object.'] },
            },
          }),
    },
    errorDescriptions: {
      404: `No live ${pivot.parent.schema.type}${hiddenNote(pivot, ' that is Public')} has this ${pivot.parent.keyColumn}, or no live image this id.`,
      409: 'The image is already attached.',
    },
  });
};

/** `PATCH /api/<pivot>/{parent}/{image}` (artistimage's depth) */
export const ApiUpdateLink = (pivot: PivotDefinition): MethodDecorator =>
  ApiOperationDocs({
    operationId: `update${operationSuffix(pivot)}`,
    summary: `Change the depth of an image of ${article(pivot)} ${pivot.parent.schema.type}`,
    description: `Sets \`depth\` (an integer ≥ 1, or null); without \`depth\` nothing changes. The link's \`updated_at\` moves only when the value changes; neither side's does. ${permissionNote(pivot.permissions.update, '401, 403, 404, 422')}`,
    public: false,
    pathParameters: pathParameters(pivot),
    body: {
      type: DepthBody,
      description:
        '`depth`: an integer ≥ 1, or null; without it (or without a body) nothing changes.',
      required: false,
    },
    success: {
      status: 200,
      description: 'The link.',
      schema: itemResponseName(pivot.schema),
      examples: { link: { summary: 'The link', value: { [pivot.name]: exampleLink(pivot) } } },
    },
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 422, 429, 503],
    errorExamples: {
      404: NOT_FOUND,
      422: {
        message: 'The depth field must be an integer.',
        errors: { depth: ['The depth field must be an integer.'] },
      },
    },
    errorDescriptions: {
      404: 'Either side is missing or soft-deleted, or they are not linked.',
    },
  });

/** `DELETE /api/<pivot>/{parent}/{image}` */
export const ApiDetach = (pivot: PivotDefinition): MethodDecorator => {
  return ApiOperationDocs({
    operationId: `detach${operationSuffix(pivot)}`,
    summary: `Detach an image from ${article(pivot)} ${pivot.parent.schema.type}`,
    description: `Removes the link; both sides stay. ${permissionNote(pivot.permissions.detach, '401, 403, 404')}`,
    public: false,
    pathParameters: pathParameters(pivot),
    success: {
      status: 200,
      description: 'Which image was detached from what.',
      schema: 'MessageResponse',
      examples: {
        detached: {
          summary: 'The link is gone',
          value: {
            message: exampleMessage(pivot, 'has been detached from'),
          },
        },
      },
    },
    errors: [...BODY_ERRORS, ...AUTH_ERRORS, 404, 429, 503],
    errorExamples: { 404: NOT_FOUND },
    errorDescriptions: {
      404: `Either side is missing or soft-deleted${hiddenNote(pivot, `, or the ${pivot.parent.schema.type} is not Public`)}, or they are not linked.`,
    },
  });
};
