import { renderTimestamp } from '../database/timestamps';
import { IMAGE_FACET_NAMES, ImageFacet } from './image-facet';

/** An `images` row as the read path selects it (raw, not a hydrated entity). */
export interface ImageRow {
  image_id: number | string;
  path: string;
  facet: number | string;
  created_at: string | Date;
  updated_at: string | Date;
  deleted_at?: string | Date | null;
}

/** `IMAGE_BASE_URL` + `/` + `path`, without a doubled slash. */
export function imageLink(imageBaseUrl: string, path: string): string {
  return `${imageBaseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** An image with the default fields, in the contract's order (API.md section 3). */
export function renderImage(row: ImageRow, imageBaseUrl: string): Record<string, unknown> {
  return {
    image_id: Number(row.image_id),
    path: row.path,
    facet: IMAGE_FACET_NAMES[Number(row.facet) as ImageFacet] ?? null,
    link: imageLink(imageBaseUrl, row.path),
    created_at: renderTimestamp(row.created_at),
    updated_at: renderTimestamp(row.updated_at),
  };
}
