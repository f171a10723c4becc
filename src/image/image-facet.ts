/** Facets are stored as ints; JSON shows display names. */
export enum ImageFacet {
  SmallCover = 0,
  Cover = 1,
  Grill = 2,
}

export const IMAGE_FACET_NAMES: Readonly<Record<ImageFacet, string>> = {
  [ImageFacet.SmallCover]: 'Small Cover',
  [ImageFacet.Cover]: 'Cover',
  [ImageFacet.Grill]: 'Grill',
};

/** Names accepted on input (lower-cased): the display names plus AnimeThemes' `Large Cover`. */
export const IMAGE_FACET_ALIASES: Readonly<Record<string, ImageFacet>> = {
  'small cover': ImageFacet.SmallCover,
  cover: ImageFacet.Cover,
  'large cover': ImageFacet.Cover,
  grill: ImageFacet.Grill,
};
