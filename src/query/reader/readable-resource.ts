import type { AppConfig } from '../../config/app-config';
import { rawQueryString } from '../pagination';
import type { ComputedFields } from '../resource-renderer';
import type { RootResourceSchema } from '../query.types';

/**
 * What names one row of a resource (`readOne`): its primary key value, or a record with a value
 * per key column (`{anime_id: 1, image_id: 2}`), where `<relation>.<column>` names a to-one
 * relation's row by a unique column of its own (`{'anime.slug': 'cowboy_bebop', image_id: 2}`).
 */
export type ResourceKey = number | string | Readonly<Record<string, number | string>>;

/**
 * Everything the shared reader needs to serve a resource. The schema carries the query surface and
 * the table: `table`, `primaryKey`, `softDeletes`, `fixedConditions` (visibility), `includes`,
 * `pluralKey`/`singularKey` (the JSON keys a list and one item are wrapped in) and page limits.
 */
export interface ReadableResource {
  readonly schema: RootResourceSchema;
  /**
   * Fields computed when rendered (`link` from `path`); called with the app config, it must return
   * the same object for the same config (renderers are compiled once per object).
   */
  readonly computedFields?: (config: AppConfig) => ComputedFields;
  /**
   * Computed fields of included types, by type (`{image: {link}}`): the same object for the same
   * config, like `computedFields`.
   */
  readonly relatedComputedFields?: (config: AppConfig) => Readonly<Record<string, ComputedFields>>;
  /**
   * The `message` of the 404 of `readOne` (default: `<Type> <key> not found.`); a record key comes
   * as its values joined by `/`.
   */
  readonly notFoundMessage?: (key: number | string) => string;
}

/** A resource's definition, checked at start: its schema is already checked by `assertQuerySchema`. */
export function defineReadableResource(resource: ReadableResource): ReadableResource {
  return Object.freeze({ ...resource });
}

/** Where a read was asked for and what the client holds. */
export interface ReadContext {
  /** The absolute URL of the resource's list without a query (`https://host/api/image`). */
  readonly baseUrl: string;
  /** The query string as sent, without `?` (links repeat it; the entity tag covers it). */
  readonly rawQuery: string;
  /** The request's `If-None-Match` header. */
  readonly ifNoneMatch?: string;
  /** false: no entity tag (a message transport); the body is always read. Default true. */
  readonly entityTag?: boolean;
}

/** The read context of an HTTP request to `baseUrl`: its query string as sent and `If-None-Match`. */
export function requestReadContext(
  request: { readonly url: string; readonly headers: { readonly 'if-none-match'?: string } },
  baseUrl: string,
): ReadContext {
  return {
    baseUrl,
    rawQuery: rawQueryString(request.url),
    ifNoneMatch: request.headers['if-none-match'],
  };
}
