import { ArtistImage } from '../artist/artist-image.entity';
import { Image } from '../image/image.entity';
import { SEED_COLUMNS } from '../seed/demo-data.generator';
import { entityColumns, joinTableColumns, joinTableOf } from './table-columns';

describe('table columns from the entity metadata', () => {
  it('should list an entity table in declaration order, by column name', () => {
    expect(entityColumns(Image)).toEqual([
      'image_id',
      'path',
      'facet',
      'created_at',
      'updated_at',
      'deleted_at',
    ]);
    expect(entityColumns(ArtistImage)).toEqual([
      'artist_id',
      'image_id',
      'depth',
      'created_at',
      'updated_at',
    ]);
  });

  it('should list a pivot without an entity from its @JoinTable', () => {
    expect(joinTableOf(Image, 'anime')).toEqual({
      pivotTable: 'anime_image',
      pivotOwnerKey: 'image_id',
      pivotRelatedKey: 'anime_id',
    });
    expect(joinTableColumns(Image, 'anime')).toEqual([
      'anime_id',
      'image_id',
      'created_at',
      'updated_at',
    ]);
    expect(() => joinTableOf(Image, 'artistImages')).toThrow('has no named @JoinTable');
  });

  it('should give the seed every table as the migrations create it', () => {
    expect(SEED_COLUMNS).toEqual({
      anime: [
        'anime_id',
        'name',
        'slug',
        'year',
        'season',
        'media_format',
        'synopsis',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
      artists: [
        'artist_id',
        'name',
        'slug',
        'information',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
      studios: ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
      playlists: [
        'playlist_id',
        'hashid',
        'name',
        'description',
        'visibility',
        'created_at',
        'updated_at',
        'deleted_at',
      ],
      images: ['image_id', 'path', 'facet', 'created_at', 'updated_at', 'deleted_at'],
      anime_image: ['anime_id', 'image_id', 'created_at', 'updated_at'],
      artist_image: ['artist_id', 'image_id', 'depth', 'created_at', 'updated_at'],
      studio_image: ['studio_id', 'image_id', 'created_at', 'updated_at'],
      playlist_image: ['playlist_id', 'image_id', 'created_at', 'updated_at'],
    });
  });
});
