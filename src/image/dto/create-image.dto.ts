import type { ImageFacet } from '../image-facet';
import { ImageFacetField, ImagePathField } from './image-field.validators';

/** Body of `POST /api/image`. */
export class CreateImageDto {
  @ImagePathField({ required: true })
  path!: string;

  @ImageFacetField({ required: true })
  facet!: ImageFacet;
}
