import { IMAGE_QUERY_SCHEMA } from '../../image/image.query-schema';
import { oneError, queryErrorBody } from '../testing/query-error-body';
import { parseInclude } from './include.parser';

const ALLOWED = 'Allowed includes: anime, artists, studios, playlists.';

describe('parseInclude', () => {
  it.each<[string, string[]]>([
    ['anime', ['anime']],
    ['anime,artists', ['anime', 'artists']],
    ['playlists,studios,artists,anime', ['anime', 'artists', 'studios', 'playlists']],
    ['studios,anime', ['anime', 'studios']],
    ['anime, artists', ['anime', 'artists']],
  ])('should accept include=%j as %j, in the schema order', (value, expected) => {
    expect(parseInclude(value, IMAGE_QUERY_SCHEMA)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['foo', `Unknown include 'foo'. ${ALLOWED}`],
    ['anime,foo', `Unknown include 'foo'. ${ALLOWED}`],
    ['Anime', `Unknown include 'Anime'. ${ALLOWED}`],
    ['artist', `Unknown include 'artist'. ${ALLOWED}`],
    ['anime.images', `Unknown include 'anime.images'. ${ALLOWED}`],
    ['anime,anime', "include lists 'anime' more than once."],
    ['anime,artists, anime', "include lists 'anime' more than once."],
    ['', 'include is empty: leave the parameter out instead.'],
    [' , ', 'include is empty: leave the parameter out instead.'],
    ['anime,', "include has an empty entry in 'anime,'."],
    ['anime,,artists', "include has an empty entry in 'anime,,artists'."],
    [Array(101).fill('anime').join(','), 'include lists more than 100 entries.'],
  ])('should refuse include=%j with a 422 at include', (value, message) => {
    expect(queryErrorBody(() => parseInclude(value, IMAGE_QUERY_SCHEMA))).toEqual(
      oneError('include', message),
    );
  });
});
