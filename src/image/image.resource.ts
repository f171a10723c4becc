import { defineReadableResource } from '../query';
import { imageNotFoundMessage } from './image-id.pipe';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';
import { imageComputedFields } from './image.serializer';

/** The Image resource as the shared reader serves it. */
export const IMAGE_RESOURCE = defineReadableResource({
  schema: IMAGE_QUERY_SCHEMA,
  computedFields: (config) => imageComputedFields(config.imageBaseUrl),
  notFoundMessage: imageNotFoundMessage,
});
