import { IMAGE_FACET_NAMES as FACET_NAMES, type ImageFacetName } from '@image-api/client';

/** Facets are stored as ints; JSON shows display names. */
export enum ImageFacet {
  SmallCover = 0,
  Cover = 1,
  Grill = 2,
}

/** The display names by stored int, from the client package's list (in int order). */
export const IMAGE_FACET_NAMES: Readonly<Record<ImageFacet, ImageFacetName>> = {
  [ImageFacet.SmallCover]: FACET_NAMES[0],
  [ImageFacet.Cover]: FACET_NAMES[1],
  [ImageFacet.Grill]: FACET_NAMES[2],
};

/** Names accepted on input (lower-cased): the display names plus AnimeThemes' `Large Cover`. */
export const IMAGE_FACET_ALIASES: Readonly<Record<string, ImageFacet>> = {
  'small cover': ImageFacet.SmallCover,
  cover: ImageFacet.Cover,
  'large cover': ImageFacet.Cover,
  grill: ImageFacet.Grill,
};
