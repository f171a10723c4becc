import type { ImageFacet } from '../image-facet';
import { ImageFacetField, ImagePathField } from './image-field.validators';

/** Body of `PUT|PATCH /api/image/:id`: every field optional, same rules as on create. */
export class UpdateImageDto {
  @ImagePathField({ required: false })
  path?: string;

  @ImageFacetField({ required: false })
  facet?: ImageFacet;
}
