import { compileRenderer, ComputedFields, RawRow, ResourceRenderer } from '../query';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';

/** An `images` row as the read path selects it (raw, not a hydrated entity). */
export interface ImageRow {
  image_id: number | string;
  path: string;
  facet: number | string;
  created_at: string | Date;
  updated_at: string | Date;
  deleted_at?: string | Date | null;
}

/** An image with the default fields, in the contract's order (API.md section 3): the read's renderer. */
export function renderImage(row: ImageRow, imageBaseUrl: string): Record<string, unknown> {
  return compileImageRenderer(imageBaseUrl, undefined)(row as unknown as RawRow);
}

const computedByBaseUrl = new Map<string, ComputedFields>();

/** The computed fields of an image (`link`), one stable object per base URL (renderers cache on it). */
export function imageComputedFields(imageBaseUrl: string): ComputedFields {
  let computed = computedByBaseUrl.get(imageBaseUrl);
  if (computed === undefined) {
    const base = `${imageBaseUrl.replace(/\/+$/, '')}/`;
    computed = Object.freeze({
      link: (row: RawRow) => {
        const path = row.path as string;
        return base + (path.charCodeAt(0) === 47 ? path.replace(/^\/+/, '') : path);
      },
    });
    computedByBaseUrl.set(imageBaseUrl, computed);
  }
  return computed;
}

/**
 * The renderer of images for `fields[image]` (undefined: the defaults), working on the raw rows the
 * read path selects; built once per field list and cached.
 */
export function compileImageRenderer(
  imageBaseUrl: string,
  fields: readonly string[] | undefined,
): ResourceRenderer {
  return compileRenderer(IMAGE_QUERY_SCHEMA, fields, imageComputedFields(imageBaseUrl));
}
