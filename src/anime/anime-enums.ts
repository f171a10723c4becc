export const ANIME_SEASON_NAMES: readonly string[] = ['Winter', 'Spring', 'Summer', 'Fall'];

export const ANIME_MEDIA_FORMAT_NAMES: readonly string[] = [
  'Unknown',
  'TV',
  'TV Short',
  'OVA',
  'Movie',
  'Special',
  'ONA',
];
