import { Anime } from '../anime/anime.entity';
import { ArtistImage } from '../artist/artist-image.entity';
import { Artist } from '../artist/artist.entity';
import { Image } from '../image/image.entity';
import { Playlist } from '../playlist/playlist.entity';
import { Studio } from '../studio/studio.entity';
import { entityColumns, joinTableColumns } from '../database/table-columns';
import { hashString, hashUnit, SeededRandom } from './seeded-random';
import {
  ARTIST_INFORMATION,
  ENGLISH_ADJECTIVES,
  ENGLISH_NOUNS,
  FAMILY_NAMES,
  GIVEN_NAMES,
  GROUP_WORDS,
  PLAYLIST_PATTERNS,
  ROMAJI_WORDS,
  STUDIO_PATTERNS,
  SYNOPSIS_SENTENCES,
  TITLE_SUFFIXES,
} from './demo-data.words';

/** How many rows of each main table to generate. */
export interface DemoDataSize {
  readonly images: number;
  readonly anime: number;
  readonly artists: number;
  readonly studios: number;
  readonly playlists: number;
}

export interface DemoDataOptions extends DemoDataSize {
  /** The same seed and sizes always give the same rows. */
  readonly seed: number;
}

/** The data set an empty embedded database gets at start-up. */
export const DEMO_DATA_OPTIONS: DemoDataOptions = {
  images: 2000,
  anime: 500,
  artists: 300,
  studios: 80,
  playlists: 40,
  seed: 1,
};

/** The other tables' sizes in the demo's proportions (2,000 images : 500 : 300 : 80 : 40). */
export function sizeForImages(images: number): DemoDataSize {
  const scaled = (ratio: number) => (images === 0 ? 0 : Math.max(1, Math.round(images * ratio)));
  return {
    images,
    anime: scaled(1 / 4),
    artists: scaled(3 / 20),
    studios: scaled(1 / 25),
    playlists: scaled(1 / 50),
  };
}

export type SeedTable =
  | 'anime'
  | 'artists'
  | 'studios'
  | 'playlists'
  | 'images'
  | 'anime_image'
  | 'artist_image'
  | 'studio_image'
  | 'playlist_image';

export type SeedValue = string | number | null;
export type SeedRow = SeedValue[];

/**
 * Columns in the order the generator fills them: each entity's columns in declaration order, and
 * the pivots without an entity from the image's `@JoinTable`s (table-columns.ts).
 */
export const SEED_COLUMNS: Readonly<Record<SeedTable, readonly string[]>> = {
  anime: entityColumns(Anime),
  artists: entityColumns(Artist),
  studios: entityColumns(Studio),
  playlists: entityColumns(Playlist),
  images: entityColumns(Image),
  anime_image: joinTableColumns(Image, 'anime'),
  artist_image: entityColumns(ArtistImage),
  studio_image: joinTableColumns(Image, 'studios'),
  playlist_image: joinTableColumns(Image, 'playlists'),
};

/** Parents before children: the order rows are generated in, and the order tables are emptied in reverse. */
export const SEED_TABLES = Object.keys(SEED_COLUMNS) as SeedTable[];

/** Which tables a table's rows point to (a pivot's rows can only be written after them). */
export const SEED_DEPENDENCIES: Readonly<Record<SeedTable, readonly SeedTable[]>> = {
  anime: [],
  artists: [],
  studios: [],
  playlists: [],
  images: [],
  anime_image: ['anime', 'images'],
  artist_image: ['artists', 'images'],
  studio_image: ['studios', 'images'],
  playlist_image: ['playlists', 'images'],
};

/** Shares of the images owned by anime, artists and studios; the rest are grills. */
const ANIME_SHARE = 0.5;
const ARTIST_SHARE = 0.3;
const STUDIO_SHARE = 0.04;
/** Every tenth anime's large cover is also linked to a studio (the anime's studio). */
const ANIME_STUDIO_LINK_EVERY = 20;

const FIRST_TIMESTAMP_MICROS = Date.UTC(2021, 2, 27, 0, 43, 25) * 1000;
const LAST_TIMESTAMP_MICROS = Date.UTC(2025, 8, 30, 23, 59, 59) * 1000;
const TIMELINE_MICROS = LAST_TIMESTAMP_MICROS - FIRST_TIMESTAMP_MICROS;
const HOUR_MICROS = 3_600_000_000;
const DAY_MICROS = 24 * HOUR_MICROS;

enum ImageRole {
  Anime = 0,
  Artist = 1,
  Studio = 2,
  Grill = 3,
}

interface ImageRoles {
  readonly counts: readonly number[];
}

function imageRoles(size: DemoDataSize): ImageRoles {
  const n = size.images;
  const anime = size.anime > 0 ? Math.floor(n * ANIME_SHARE) : 0;
  const artist = size.artists > 0 ? Math.floor(n * ARTIST_SHARE) : 0;
  const studio = size.studios > 0 ? Math.floor(n * STUDIO_SHARE) : 0;
  return { counts: [anime, artist, studio, n - anime - artist - studio] };
}

export interface DemoDataPlan {
  readonly rows: Readonly<Record<SeedTable, number>>;
  readonly totalRows: number;
}

/** The exact number of rows `DemoDataGenerator.rows()` yields per table. */
export function planDemoData(options: DemoDataOptions): DemoDataPlan {
  const [animeImages, artistImages, studioImages] = imageRoles(options).counts;
  const rows: Record<SeedTable, number> = {
    anime: options.anime,
    artists: options.artists,
    studios: options.studios,
    playlists: options.playlists,
    images: options.images,
    anime_image: animeImages,
    artist_image: artistImages,
    studio_image:
      studioImages + (options.studios > 0 ? Math.ceil(animeImages / ANIME_STUDIO_LINK_EVERY) : 0),
    playlist_image: playlistSizes(options).reduce((sum, size) => sum + size, 0),
  };
  return { rows, totalRows: SEED_TABLES.reduce((sum, table) => sum + rows[table], 0) };
}

function playlistSizes(options: DemoDataOptions): number[] {
  const random = new SeededRandom(options.seed, 'playlist_sizes');
  const average = Math.max(1, Math.round(options.images / 2 / Math.max(1, options.playlists)));
  return Array.from({ length: options.playlists }, () =>
    Math.min(options.images, random.int(1, 2 * average - 1)),
  );
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
const DAY_TEXT = new Map<number, string>();

/**
 * `2024-01-15 12:00:00.123456` from microseconds since the epoch (UTC). Written out by hand, with
 * the date part cached per day: `Date#toISOString` for every timestamp was half the generator's time.
 */
export function formatMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const day = Math.floor(seconds / 86_400);
  let dayText = DAY_TEXT.get(day);
  if (dayText === undefined) {
    dayText = new Date(day * 86_400_000).toISOString().slice(0, 10);
    DAY_TEXT.set(day, dayText);
  }
  let rest = seconds - day * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const clock = `${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[rest - minutes * 60]}`;
  return `${dayText} ${clock}.${String(fraction).padStart(6, '0')}`;
}

/** A few rows of every table are soft-deleted: about 1 %, at least one in three rows' worth. */
export function isSoftDeleted(index: number, count: number): boolean {
  const stride = Math.min(97, Math.max(2, Math.floor(count / 3)));
  return index % stride === Math.floor(stride / 2);
}

/** Lower-case words joined by `_`, as AnimeThemes slugs look (`.hack//Sign` → `hacksign`). */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\s-]+/g, '_')
    .replace(/[^a-z0-9_]/g, '')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return slug === '' ? 'untitled' : slug;
}

const HASHID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HASHID_SPACE = 62n ** 8n;
/**
 * About 0.618 of the space (so neighbouring ids land far apart), odd and not a multiple of 31, so
 * multiplying by it permutes the 62^8 space: no two ids share a hashid.
 */
const HASHID_MULTIPLIER = 134_867_519_744_893n;

/** An 8-character public id, unique per playlist id (a bijection of the id), seed-dependent. */
export function playlistHashid(playlistId: number, seed: number): string {
  let value =
    (BigInt(playlistId) * HASHID_MULTIPLIER + BigInt(hashString(`hashid${seed}`))) % HASHID_SPACE;
  let text = '';
  for (let i = 0; i < 8; i++) {
    text = HASHID_ALPHABET[Number(value % 62n)] + text;
    value /= 62n;
  }
  return text;
}

/** Keeps slugs unique: the second `sora` becomes `sora_2`, the third `sora_3`. */
class SlugRegistry {
  private readonly used = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();

  claim(name: string): string {
    const base = slugify(name);
    if (!this.used.has(base)) {
      this.used.add(base);
      return base;
    }
    let suffix = this.nextSuffix.get(base) ?? 2;
    while (this.used.has(`${base}_${suffix}`)) suffix++;
    this.nextSuffix.set(base, suffix + 1);
    const slug = `${base}_${suffix}`;
    this.used.add(slug);
    return slug;
  }
}

interface Timestamps {
  readonly created: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deletedAt: string | null;
}

/**
 * Generates a realistic, reproducible data set for the schema of API.md section 2: names, slugs,
 * years, seasons and formats for anime; artists, studios and playlists (all three visibilities);
 * image paths shaped like AnimeThemes' storage paths; the four pivots (with `artist_image.depth`);
 * a few soft-deleted rows of each type; timestamps with microseconds that grow with the ids.
 */
export class DemoDataGenerator {
  readonly plan: DemoDataPlan;

  constructor(readonly options: DemoDataOptions) {
    this.plan = planDemoData(options);
  }

  /** Every row, parents before the pivots that point to them, as `[table, row]`. */
  *rows(): Generator<[SeedTable, SeedRow]> {
    for (const row of this.anime()) yield ['anime', row];
    for (const row of this.artists()) yield ['artists', row];
    for (const row of this.studios()) yield ['studios', row];
    for (const row of this.playlists()) yield ['playlists', row];
    yield* this.imagesAndOwners();
    for (const row of this.playlistImages()) yield ['playlist_image', row];
  }

  private timestamps(table: SeedTable, index: number, count: number): Timestamps {
    const salt = hashString(table);
    const created =
      FIRST_TIMESTAMP_MICROS +
      Math.floor(((index + hashUnit(this.options.seed, salt, index)) * TIMELINE_MICROS) / count);
    const edit = hashUnit(this.options.seed, salt ^ 0x5bd1e995, index);
    // Half the rows were never edited; the others within four months.
    let updated = edit < 0.5 ? created : created + Math.floor((edit - 0.5) * 2 * 120 * DAY_MICROS);
    let deletedAt: string | null = null;
    if (isSoftDeleted(index, count)) {
      // A soft delete moves updated_at too.
      updated += HOUR_MICROS + Math.floor(edit * 30 * DAY_MICROS);
      deletedAt = formatMicros(updated);
    }
    return {
      created,
      createdAt: formatMicros(created),
      updatedAt: formatMicros(updated),
      deletedAt,
    };
  }

  private *anime(): Generator<SeedRow> {
    const random = new SeededRandom(this.options.seed, 'anime');
    const slugs = new SlugRegistry();
    const count = this.options.anime;
    for (let index = 0; index < count; index++) {
      const name = this.animeName(random);
      const year = random.chance(0.02) ? null : 2025 - Math.floor(random.next() ** 2 * 63);
      const season = year === null || random.chance(0.04) ? null : random.int(0, 3);
      const mediaFormat = random.chance(0.02)
        ? null
        : random.weighted<number>([
            [1, 55],
            [4, 10],
            [3, 10],
            [6, 8],
            [5, 8],
            [2, 6],
            [0, 3],
          ]);
      const synopsis = random.chance(0.7)
        ? Array.from({ length: random.int(1, 3) }, () => random.pick(SYNOPSIS_SENTENCES)).join(' ')
        : null;
      const time = this.timestamps('anime', index, count);
      yield [
        index + 1,
        name,
        slugs.claim(name),
        year,
        season,
        mediaFormat,
        synopsis,
        time.createdAt,
        time.updatedAt,
        time.deletedAt,
      ];
    }
  }

  private animeName(random: SeededRandom): string {
    const romaji = () => random.pick(ROMAJI_WORDS);
    const base = random.weighted<() => string>([
      [() => `${romaji()} no ${romaji()}`, 4],
      [() => `${romaji()} ${romaji()}`, 3],
      [() => `${random.pick(ENGLISH_ADJECTIVES)} ${random.pick(ENGLISH_NOUNS)}`, 3],
      [() => `${romaji()}: ${random.pick(ENGLISH_ADJECTIVES)} ${random.pick(ENGLISH_NOUNS)}`, 2],
      [
        () =>
          `${random.pick(ENGLISH_NOUNS)} of the ${random.pick(ENGLISH_ADJECTIVES)} ${random.pick(ENGLISH_NOUNS)}`,
        1,
      ],
      [() => `.hack//${romaji()}`, 0.2],
    ])();
    return random.chance(0.15) ? `${base} ${random.pick(TITLE_SUFFIXES)}` : base;
  }

  private *artists(): Generator<SeedRow> {
    const random = new SeededRandom(this.options.seed, 'artists');
    const slugs = new SlugRegistry();
    const count = this.options.artists;
    for (let index = 0; index < count; index++) {
      const name = random.chance(0.8)
        ? `${random.pick(GIVEN_NAMES)} ${random.pick(FAMILY_NAMES)}`
        : `${random.pick([...ENGLISH_ADJECTIVES, ...ROMAJI_WORDS])} ${random.pick(GROUP_WORDS)}`;
      const information = random.chance(0.4) ? random.pick(ARTIST_INFORMATION) : null;
      const time = this.timestamps('artists', index, count);
      yield [
        index + 1,
        name,
        slugs.claim(name),
        information,
        time.createdAt,
        time.updatedAt,
        time.deletedAt,
      ];
    }
  }

  private *studios(): Generator<SeedRow> {
    const random = new SeededRandom(this.options.seed, 'studios');
    const slugs = new SlugRegistry();
    const count = this.options.studios;
    for (let index = 0; index < count; index++) {
      const word = random.chance(0.5) ? random.pick(ROMAJI_WORDS) : random.pick(ENGLISH_NOUNS);
      const name = random.pick(STUDIO_PATTERNS).replace('{w}', word);
      const time = this.timestamps('studios', index, count);
      yield [index + 1, name, slugs.claim(name), time.createdAt, time.updatedAt, time.deletedAt];
    }
  }

  private *playlists(): Generator<SeedRow> {
    const random = new SeededRandom(this.options.seed, 'playlists');
    const count = this.options.playlists;
    // Mostly Public, and all three visibilities as soon as there are three playlists.
    const visibilities = [0, 1, 2, 0, 0];
    for (let index = 0; index < count; index++) {
      const name = random
        .pick(PLAYLIST_PATTERNS)
        .replace('{year}', String(random.int(1990, 2025)))
        .replace('{season}', random.pick(['Winter', 'Spring', 'Summer', 'Fall']))
        .replace('{adj}', random.pick(ENGLISH_ADJECTIVES).toLowerCase())
        .replace('{noun}', random.pick(ENGLISH_NOUNS));
      const description = random.chance(0.5)
        ? `${random.pick(ENGLISH_ADJECTIVES)} themes for a ${random.pick(ENGLISH_NOUNS).toLowerCase()} mood.`
        : null;
      const time = this.timestamps('playlists', index, count);
      yield [
        index + 1,
        playlistHashid(index + 1, this.options.seed),
        name,
        description,
        visibilities[index % visibilities.length],
        time.createdAt,
        time.updatedAt,
        time.deletedAt,
      ];
    }
  }

  /**
   * Images in creation order, each followed by the pivot rows that give it an owner. Owners'
   * images are interleaved evenly (largest-deficit scheduling), so ids and timestamps grow together
   * across every kind of image, as in the real table.
   */
  private *imagesAndOwners(): Generator<[SeedTable, SeedRow]> {
    const random = new SeededRandom(this.options.seed, 'images');
    const { images: total, anime, artists, studios } = this.options;
    const roleCounts = imageRoles(this.options).counts;
    const assigned = [0, 0, 0, 0];
    for (let index = 0; index < total; index++) {
      let role = ImageRole.Anime;
      let bestDeficit = -Infinity;
      for (let candidate = 0; candidate < 4; candidate++) {
        const deficit = roleCounts[candidate] * (index + 1) - assigned[candidate] * total;
        if (assigned[candidate] < roleCounts[candidate] && deficit > bestDeficit) {
          role = candidate;
          bestDeficit = deficit;
        }
      }
      const k = assigned[role]++;
      const imageId = index + 1;
      const time = this.timestamps('images', index, total);
      const pivotTime = [time.createdAt, time.createdAt];
      const large = k % 2 === 0;
      const cover = (owner: string): [string, number] =>
        large
          ? [
              `${owner}/large-cover/${random.alphanumeric(40)}.${random.chance(0.25) ? 'png' : 'jpg'}`,
              1,
            ]
          : [`${owner}/small-cover/${random.alphanumeric(40)}.avif`, 0];

      let path: string;
      let facet: number;
      const pivots: [SeedTable, SeedRow][] = [];
      switch (role) {
        case ImageRole.Anime: {
          [path, facet] = cover('anime');
          const animeIndex = Math.floor(k / 2) % anime;
          pivots.push(['anime_image', [animeIndex + 1, imageId, ...pivotTime]]);
          if (studios > 0 && k % ANIME_STUDIO_LINK_EVERY === 0) {
            const studioId = 1 + ((animeIndex * 7919) % studios);
            pivots.push(['studio_image', [studioId, imageId, ...pivotTime]]);
          }
          break;
        }
        case ImageRole.Artist: {
          [path, facet] = cover('artist');
          const artistIndex = Math.floor(k / 2) % artists;
          // The artist's first large and small cover are depth 1 and 2, the next pair 3 and 4, ...
          const depth = Math.floor(k / (2 * artists)) * 2 + (k % 2) + 1;
          pivots.push(['artist_image', [artistIndex + 1, imageId, depth, ...pivotTime]]);
          break;
        }
        case ImageRole.Studio:
          path = `studio/large-cover/${random.alphanumeric(40)}.${random.chance(0.25) ? 'png' : 'jpg'}`;
          facet = 1;
          pivots.push(['studio_image', [(k % studios) + 1, imageId, ...pivotTime]]);
          break;
        default:
          path = `grill/${random.alphanumeric(40)}.png`;
          facet = 2;
      }
      yield ['images', [imageId, path, facet, time.createdAt, time.updatedAt, time.deletedAt]];
      yield* pivots;
    }
  }

  /** Each playlist holds a few distinct images (any kind), added after both existed. */
  private *playlistImages(): Generator<SeedRow> {
    const random = new SeededRandom(this.options.seed, 'playlist_image');
    const { images, playlists } = this.options;
    const sizes = playlistSizes(this.options);
    for (let index = 0; index < playlists; index++) {
      const chosen = new Set<number>();
      while (chosen.size < sizes[index]) chosen.add(1 + Math.floor(random.next() * images));
      const playlistCreated = this.timestamps('playlists', index, playlists).created;
      for (const imageId of [...chosen].sort((a, b) => a - b)) {
        const imageCreated = this.timestamps('images', imageId - 1, images).created;
        const added =
          Math.max(playlistCreated, imageCreated) + Math.floor(random.next() * 30 * DAY_MICROS);
        const addedAt = formatMicros(added);
        yield [index + 1, imageId, addedAt, addedAt];
      }
    }
  }
}
