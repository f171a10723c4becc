import {
  DEMO_DATA_OPTIONS,
  DemoDataGenerator,
  DemoDataOptions,
  formatMicros,
  isSoftDeleted,
  planDemoData,
  playlistHashid,
  SEED_COLUMNS,
  SEED_TABLES,
  SeedRow,
  SeedTable,
  sizeForImages,
  slugify,
} from './demo-data.generator';

type Rows = Record<SeedTable, Record<string, string | number | null>[]>;

/** Every generated row, as objects keyed by column. */
function generate(options: DemoDataOptions): Rows {
  const rows = Object.fromEntries(SEED_TABLES.map((table) => [table, []])) as unknown as Rows;
  for (const [table, row] of new DemoDataGenerator(options).rows()) {
    rows[table].push(Object.fromEntries(SEED_COLUMNS[table].map((column, i) => [column, row[i]])));
  }
  return rows;
}

const demo = generate(DEMO_DATA_OPTIONS);
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const MAIN_TABLES = ['anime', 'artists', 'studios', 'playlists', 'images'] as const;

describe('DemoDataGenerator', () => {
  it('should generate the demo sizes and exactly the planned rows per table', () => {
    const counts = Object.fromEntries(SEED_TABLES.map((table) => [table, demo[table].length]));
    expect(counts).toEqual({
      anime: 500,
      artists: 300,
      studios: 80,
      playlists: 40,
      images: 2000,
      anime_image: 1000,
      artist_image: 600,
      studio_image: 130,
      playlist_image: planDemoData(DEMO_DATA_OPTIONS).rows.playlist_image,
    });
  });

  it.each<DemoDataOptions>([
    { images: 0, anime: 0, artists: 0, studios: 0, playlists: 0, seed: 1 },
    { images: 1, anime: 1, artists: 1, studios: 1, playlists: 1, seed: 1 },
    { images: 7, anime: 0, artists: 3, studios: 0, playlists: 2, seed: 9 },
    { images: 1000, anime: 3, artists: 2, studios: 1, playlists: 1, seed: 2 },
    { images: 50, anime: 400, artists: 300, studios: 200, playlists: 100, seed: 3 },
  ])('should yield exactly the planned rows for %j', (options) => {
    const rows = generate(options);
    const plan = planDemoData(options);
    for (const table of SEED_TABLES)
      expect([table, rows[table].length]).toEqual([table, plan.rows[table]]);
    expect(plan.totalRows).toBe(SEED_TABLES.reduce((sum, table) => sum + rows[table].length, 0));
  });

  it('should give the same rows for the same seed and different paths for another seed', () => {
    expect(generate(DEMO_DATA_OPTIONS)).toEqual(demo);
    const other = generate({ ...DEMO_DATA_OPTIONS, seed: 2 });
    expect(other.images[0].path).not.toBe(demo.images[0].path);
  });

  it('should fill every row with one value per column', () => {
    const generator = new DemoDataGenerator({ ...DEMO_DATA_OPTIONS, images: 100 });
    const widths = new Set<string>();
    for (const [table, row] of generator.rows() as Iterable<[SeedTable, SeedRow]>) {
      widths.add(`${table}:${row.length === SEED_COLUMNS[table].length}`);
    }
    expect([...widths].every((entry) => entry.endsWith(':true'))).toBe(true);
  });

  it('should shape image paths like AnimeThemes storage paths, one per facet, without duplicates', () => {
    const shapes: Record<number, RegExp> = {
      0: /^(anime|artist)\/small-cover\/[A-Za-z0-9]{40}\.avif$/,
      1: /^(anime|artist|studio)\/large-cover\/[A-Za-z0-9]{40}\.(jpg|png)$/,
      2: /^grill\/[A-Za-z0-9]{40}\.png$/,
    };
    const misshapen = demo.images.filter(
      (image) => !shapes[image.facet as number].test(image.path as string),
    );
    expect(misshapen).toEqual([]);
    expect(new Set(demo.images.map((image) => image.path)).size).toBe(2000);
    const owners = new Map<string, number>();
    for (const image of demo.images) {
      const owner = (image.path as string).split('/')[0];
      owners.set(owner, (owners.get(owner) ?? 0) + 1);
    }
    expect(Object.fromEntries(owners)).toEqual({
      anime: 1000,
      artist: 600,
      studio: 80,
      grill: 320,
    });
  });

  it('should number ids from 1 and let created_at grow with the id', () => {
    for (const table of MAIN_TABLES) {
      const key = SEED_COLUMNS[table][0];
      expect(demo[table].map((row) => row[key])).toEqual(demo[table].map((_, i) => i + 1));
      const created = demo[table].map((row) => row.created_at as string);
      expect(created).toEqual([...created].sort());
    }
  });

  it('should write microsecond timestamps, updated_at >= created_at, deleted_at = updated_at', () => {
    const broken = SEED_TABLES.flatMap((table) =>
      demo[table]
        .filter(
          (row) =>
            !TIMESTAMP.test(row.created_at as string) ||
            !TIMESTAMP.test(row.updated_at as string) ||
            (row.updated_at as string) < (row.created_at as string) ||
            (row.deleted_at != null && row.deleted_at !== row.updated_at),
        )
        .map((row) => ({ table, row })),
    );
    expect(broken).toEqual([]);
  });

  it('should soft-delete a few rows of every main table', () => {
    const deleted = Object.fromEntries(
      MAIN_TABLES.map((table) => [
        table,
        demo[table].filter((row) => row.deleted_at !== null).length,
      ]),
    );
    expect(deleted).toEqual({ anime: 5, artists: 3, studios: 3, playlists: 3, images: 21 });
  });

  it('should give unique slugs and hashids, and playlists of all three visibilities', () => {
    for (const table of ['anime', 'artists', 'studios'] as const) {
      const slugs = demo[table].map((row) => row.slug as string);
      expect(new Set(slugs).size).toBe(slugs.length);
      expect(slugs.every((slug) => /^[a-z0-9]+(_[a-z0-9]+)*$/.test(slug))).toBe(true);
    }
    const hashids = demo.playlists.map((row) => row.hashid as string);
    expect(new Set(hashids).size).toBe(40);
    expect(hashids.every((hashid) => /^[0-9A-Za-z]{8}$/.test(hashid))).toBe(true);
    const visibilities = demo.playlists.map((row) => row.visibility);
    expect([0, 1, 2].map((v) => visibilities.filter((x) => x === v).length)).toEqual([24, 8, 8]);
  });

  it('should keep anime years, seasons and media formats in the contract ranges', () => {
    for (const anime of demo.anime) {
      if (anime.year !== null) expect(anime.year).toBeGreaterThanOrEqual(1963);
      if (anime.year !== null) expect(anime.year).toBeLessThanOrEqual(2025);
      if (anime.season !== null) expect([0, 1, 2, 3]).toContain(anime.season);
      if (anime.media_format !== null) expect([0, 1, 2, 3, 4, 5, 6]).toContain(anime.media_format);
    }
    expect(new Set(demo.anime.map((anime) => anime.media_format)).size).toBeGreaterThan(5);
    expect(demo.anime.some((anime) => anime.synopsis === null)).toBe(true);
    expect(demo.anime.some((anime) => typeof anime.synopsis === 'string')).toBe(true);
  });

  it('should give every demo anime one large and one small cover', () => {
    const facets = new Map(demo.images.map((image) => [image.image_id, image.facet]));
    const covers = new Map<number, number[]>();
    for (const pivot of demo.anime_image) {
      const list = covers.get(pivot.anime_id as number) ?? [];
      list.push(facets.get(pivot.image_id) as number);
      covers.set(pivot.anime_id as number, list);
    }
    expect(covers.size).toBe(500);
    expect([...covers.values()].every((list) => [...list].sort().join() === '0,1')).toBe(true);
  });

  it('should point every pivot row at existing rows, with unique composite keys', () => {
    const pivots = {
      anime_image: ['anime_id', 'anime'],
      artist_image: ['artist_id', 'artists'],
      studio_image: ['studio_id', 'studios'],
      playlist_image: ['playlist_id', 'playlists'],
    } as const;
    for (const [pivot, [key, parent]] of Object.entries(pivots)) {
      const rows = demo[pivot as SeedTable];
      expect(
        rows.every(
          (row) => (row[key] as number) >= 1 && (row[key] as number) <= demo[parent].length,
        ),
      ).toBe(true);
      expect(
        rows.every((row) => (row.image_id as number) >= 1 && (row.image_id as number) <= 2000),
      ).toBe(true);
      expect(new Set(rows.map((row) => `${row[key]}:${row.image_id}`)).size).toBe(rows.length);
    }
  });

  it("should number each artist's images by depth 1, 2, ...", () => {
    const depths = new Map<number, number[]>();
    for (const pivot of demo.artist_image) {
      const list = depths.get(pivot.artist_id as number) ?? [];
      list.push(pivot.depth as number);
      depths.set(pivot.artist_id as number, list);
    }
    expect([...depths.values()].every((list) => list.join() === '1,2')).toBe(true);
    const crowded = generate({
      images: 100,
      anime: 0,
      artists: 2,
      studios: 0,
      playlists: 0,
      seed: 1,
    });
    const first = crowded.artist_image
      .filter((pivot) => pivot.artist_id === 1)
      .map((pivot) => pivot.depth);
    expect(first).toEqual(Array.from({ length: first.length }, (_, i) => i + 1));
  });
});

describe('sizeForImages', () => {
  it('should keep the demo proportions', () => {
    const { seed: _seed, ...size } = DEMO_DATA_OPTIONS;
    expect(sizeForImages(2000)).toEqual(size);
    expect(sizeForImages(1_000_000)).toEqual({
      images: 1_000_000,
      anime: 250_000,
      artists: 150_000,
      studios: 40_000,
      playlists: 20_000,
    });
    expect(sizeForImages(0)).toEqual({ images: 0, anime: 0, artists: 0, studios: 0, playlists: 0 });
    expect(sizeForImages(1)).toEqual({ images: 1, anime: 1, artists: 1, studios: 1, playlists: 1 });
  });
});

describe('formatMicros', () => {
  it.each([
    [Date.UTC(2024, 0, 15, 12, 0, 0) * 1000 + 123_456, '2024-01-15 12:00:00.123456'],
    [Date.UTC(2024, 1, 29, 23, 59, 59) * 1000 + 999_999, '2024-02-29 23:59:59.999999'],
    [Date.UTC(2021, 2, 27, 0, 43, 25) * 1000, '2021-03-27 00:43:25.000000'],
    [Date.UTC(2000, 0, 1) * 1000 + 1, '2000-01-01 00:00:00.000001'],
  ])('should format %d as %s', (micros, expected) => {
    expect(formatMicros(micros)).toBe(expected);
  });

  it('should agree with Date#toISOString to the millisecond over many values', () => {
    for (
      let micros = Date.UTC(2021, 0, 1) * 1000;
      micros < Date.UTC(2026, 0, 1) * 1000;
      micros += 98_765_432_117
    ) {
      const iso = new Date(Math.floor(micros / 1000)).toISOString();
      expect(formatMicros(micros).slice(0, 23)).toBe(iso.slice(0, 23).replace('T', ' '));
    }
  });
});

describe('slugify', () => {
  it.each([
    ['.hack//Sign', 'hacksign'],
    ['Tsuki: First Kingdom', 'tsuki_first_kingdom'],
    ['Hoshi no  Sora - Season 2', 'hoshi_no_sora_season_2'],
    ['Café Inc.', 'cafe_inc'],
    ['!!!', 'untitled'],
  ])('should turn %s into %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
});

describe('playlistHashid', () => {
  it('should give 8-character hashids, unique across 100,000 ids', () => {
    const hashids = new Set(Array.from({ length: 100_000 }, (_, i) => playlistHashid(i + 1, 1)));
    expect(hashids.size).toBe(100_000);
    expect([...hashids].every((hashid) => /^[0-9A-Za-z]{8}$/.test(hashid))).toBe(true);
  });
});

describe('isSoftDeleted', () => {
  it('should mark about one row in 97 of a big table, and a few of a small one', () => {
    const count = (n: number) =>
      Array.from({ length: n }, (_, i) => isSoftDeleted(i, n)).filter(Boolean).length;
    expect(count(97_000)).toBe(1000);
    expect(count(40)).toBe(3);
    expect(count(1)).toBe(0);
  });
});
