import type { Permission } from '../auth/permissions';
import { IMAGE_QUERY_SCHEMA } from '../image/image.query-schema';
import { imageComputedFields } from '../image/image.serializer';
import {
  assertQuerySchema,
  defineField,
  defineReadableResource,
  type ReadableResource,
  defineTimestampFields,
  type ResourceSchema,
  type RootResourceSchema,
} from '../query';

/** The side of a pivot that is not the image (API.md section 9). */
export interface PivotParent {
  /** Its query schema (type, table, key, soft deletes, fixed conditions, fields). */
  readonly schema: ResourceSchema;
  /** The column the path names it by: `slug`, `hashid` for playlists. */
  readonly keyColumn: string;
  /** How messages name its type: `Image 'x' is already attached to Anime 'y'.` */
  readonly label: string;
}

/**
 * One pivot resource, everything the generic pivot code needs: the routes, patterns, events,
 * messages and permissions of `animeimage`, `artistimage`... all come from it.
 */
export interface PivotDefinition {
  /** Route segment, JSON key, message pattern and event prefix: `animeimage`. */
  readonly name: string;
  readonly parent: PivotParent;
  /** The link itself: table, columns, the two sides, and how they render, filter and sort. */
  readonly schema: RootResourceSchema;
  /** The schema as the shared reader serves it (the included image renders its `link`). */
  readonly resource: ReadableResource;
  /** The pivot's column holding the parent's id: `anime_id`. */
  readonly parentColumn: string;
  /** Whether it carries `depth` (artistimage): taken on attach and changed by PATCH. */
  readonly depth: boolean;
  readonly permissions: {
    readonly attach: readonly [Permission, ...Permission[]];
    readonly detach: readonly [Permission, ...Permission[]];
    readonly update: readonly [Permission, ...Permission[]];
  };
}

/** The image side's column in every pivot. */
export const PIVOT_IMAGE_COLUMN = 'image_id';

/** The depth column of artistimage. */
export const DEPTH_COLUMN = 'depth';

/** The permissions of a pivot's routes: one on the parent's type and one on images. */
type PivotPermissions = PivotDefinition['permissions'];

/**
 * A pivot resource from its parent's side: `anime` → `animeimage` on `anime_image`, keyed by
 * `anime_id` and `image_id`, its parent named by `keyColumn` in paths and messages.
 */
export function definePivot(options: {
  readonly parent: ResourceSchema;
  readonly keyColumn: string;
  readonly label: string;
  readonly depth?: boolean;
  readonly permissions: PivotPermissions;
}): PivotDefinition {
  const { parent, keyColumn, label, permissions } = options;
  const name = `${parent.type}image`;
  const depth = options.depth === true;
  const schema = pivotLinkSchema(name, `${parent.type}_image`, parent, depth);
  return Object.freeze({
    name,
    parent: { schema: parent, keyColumn, label },
    schema,
    resource: defineReadableResource({
      schema,
      relatedComputedFields: (config) => ({
        [IMAGE_QUERY_SCHEMA.type]: imageComputedFields(config.imageBaseUrl),
      }),
      notFoundMessage: () => 'Not Found.',
    }),
    parentColumn: parent.primaryKey,
    depth,
    permissions,
  });
}

/**
 * The query schema of a pivot's links (API.md section 9): both ids, `depth` when it has one, its
 * timestamps (no `deleted_at`: a link is there or not); the two sides as to-one includes, which
 * also hide the links of a trashed side or a non-Public playlist; ordered by both ids.
 */
function pivotLinkSchema(
  name: string,
  table: string,
  parent: ResourceSchema,
  depth: boolean,
): RootResourceSchema {
  const id = { default: true, filterable: true, sortable: true };
  const [createdAt, updatedAt] = defineTimestampFields(true);
  const schema: RootResourceSchema = {
    type: name,
    table,
    primaryKey: parent.primaryKey,
    keyColumns: [parent.primaryKey, PIVOT_IMAGE_COLUMN],
    softDeletes: false,
    pluralKey: `${name}s`,
    singularKey: name,
    fields: [
      defineField(parent.primaryKey, 'int', id),
      defineField(PIVOT_IMAGE_COLUMN, 'int', id),
      ...(depth ? [defineField(DEPTH_COLUMN, 'int', { ...id, nullable: true })] : []),
      createdAt,
      updatedAt,
    ],
    includes: [],
    belongsTo: [
      { name: parent.type, resource: parent, foreignKey: parent.primaryKey },
      {
        name: IMAGE_QUERY_SCHEMA.type,
        resource: IMAGE_QUERY_SCHEMA,
        foreignKey: PIVOT_IMAGE_COLUMN,
      },
    ],
    page: { defaultSize: 15, maxSize: 100 },
    allowRandomSort: false,
  };
  assertQuerySchema(schema);
  return schema;
}
