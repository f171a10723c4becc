// Each line marked `// refused` must not compile: the pack test checks that tsc reports an error
// on exactly these lines, naming the misspelt word. (Kept out of the repository's own type check.)
import type { ImageApiEvent, ImageCreateBody, ImageListQuery, ImageShowQuery } from '@image-api/client';

export const misspeltFilterKey: ImageListQuery = { filter: { facte: 'Cover' } }; // refused: facte
export const misspeltFacet: ImageListQuery = { filter: { facet: 'Covr' } }; // refused: Covr
export const misspeltFacetInList: ImageListQuery = { filter: { 'facet-not': ['Grill', 'Smal Cover'] } }; // refused: Smal Cover
export const misspeltScopedKey: ImageListQuery = { filter: { anime: { yeer: 2000 } } }; // refused: yeer
export const misspeltSeason: ImageListQuery = { filter: { anime: { season: 'Autumn' } } }; // refused: Autumn
export const operatorNotForEnum: ImageListQuery = { filter: { 'facet-gt': 'Cover' } }; // refused: facet-gt
export const listWithComparison: ImageListQuery = { filter: { 'year-lt': [2000, 2001] } }; // refused: number[]
export const misspeltInclude: ImageListQuery = { include: ['anmie'] }; // refused: anmie
export const misspeltField: ImageListQuery = { fields: { image: ['paht'] } }; // refused: paht
export const misspeltSort: ImageListQuery = { sort: '-creatd_at' }; // refused: creatd_at
export const imageFilterOnShow: ImageShowQuery = { filter: { facet: 'Cover' } }; // refused: facet
export const misspeltFacetInBody: ImageCreateBody = { path: 'a.jpg', facet: 'Covr' }; // refused: Covr
export const changesOfCreate = (e: ImageApiEvent) => e.type === 'image.created' && e.data.changes; // refused: changes

export const accepted: ImageListQuery = {
  filter: { facet: 'Large Cover', 'facet-not-or': ['grill'], anime: { season: 'Fall', 'year-gte': 2000 }, has: ['anime'] },
  sort: { image: '-facet', anime: ['-year', 'name'] },
};
