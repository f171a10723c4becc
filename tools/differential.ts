/**
 * `npm run diff:old`: a differential test of two running services over HTTP (docs/testing.md). Sends the
 * same few thousand requests over API.md sections 1-8 to OLD_URL and NEW_URL and prints every answer that
 * differs in status, JSON body, or the headers those sections name (Content-Type, Location,
 * WWW-Authenticate, ETag and Request-Id presence, and the 304 of a repeated GET). Both services must read
 * identical rows and share PUBLIC_URL, JWT_SECRET and CURSOR_SECRET, with rate limiting off.
 */
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { sign } from 'jsonwebtoken';

const OLD_URL = new URL(process.env.OLD_URL ?? 'http://127.0.0.1:3101');
const NEW_URL = new URL(process.env.NEW_URL ?? 'http://127.0.0.1:3102');
const JWT_SECRET = process.env.JWT_SECRET ?? 'differential-secret-differential-secret';
const REPORT = process.env.DIFF_REPORT ?? 'differential-report.json';

interface Probe {
  readonly family: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Compare the status and keys only (sort=random). */
  readonly shapeOnly?: boolean;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

function send(base: URL, probe: Probe, extra: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: probe.method,
        // Node refuses raw spaces and controls in a request line: send them percent-encoded.
        path: probe.path.replace(/[^\u0021-\u007e]/g, (c) => encodeURIComponent(c)),
        // One Host for both sides, so links compare equal when PUBLIC_URL is unset.
        headers: {
          host: 'localhost:3000',
          ...probe.headers,
          ...(probe.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(probe.body)) }),
          ...extra,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', (error) =>
      resolve({ status: -1, headers: {}, text: `transport error: ${error.message}` }),
    );
    if (probe.body !== undefined) req.write(probe.body);
    req.end();
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { $text: text };
  }
}

function shape(value: unknown): unknown {
  if (Array.isArray(value)) return 'array';
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, key === 'links' ? '*' : shape(inner)]),
    );
  }
  return typeof value;
}

const COMPARED_HEADERS = ['content-type', 'location', 'www-authenticate', 'allow'];

/** The caller's X-Request-Id comes back when the service takes it; any other id is compared by presence. */
function requestIdOf(answer: Answer, probe: Probe): string {
  const id = answer.headers['request-id'];
  if (id === undefined) return 'missing';
  return id === probe.headers?.['x-request-id'] ? 'echoed' : 'generated';
}

function describe(answer: Answer, probe: Probe): Record<string, unknown> {
  const body = parse(answer.text);
  return {
    status: answer.status,
    body: probe.shapeOnly ? shape(body) : body,
    ...Object.fromEntries(COMPARED_HEADERS.map((name) => [name, answer.headers[name]])),
    etag: answer.headers.etag !== undefined,
    // The caller's X-Request-Id comes back when the service takes it; otherwise any id will do.
    'request-id': requestIdOf(answer, probe),
  };
}

function differences(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (
    a &&
    b &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    Array.isArray(a) === Array.isArray(b)
  ) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const inner = keys.flatMap((key) =>
      differences(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${at}.${key}`,
      ),
    );
    if (JSON.stringify(Object.keys(a)) !== JSON.stringify(Object.keys(b)) && inner.length === 0) {
      return [`${at} key order`];
    }
    return inner;
  }
  return [`${at}: ${JSON.stringify(a)?.slice(0, 300)} -> ${JSON.stringify(b)?.slice(0, 300)}`];
}

// ---- the requests ----------------------------------------------------------------------------------

let state = 12345;
function random(): number {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const subset = <T>(items: readonly T[]): T[] => items.filter(() => random() < 0.5);

const RELATIONS = ['anime', 'artists', 'studios', 'playlists'] as const;
const FIELDS: Record<string, string[]> = {
  image: ['image_id', 'path', 'facet', 'link', 'created_at', 'updated_at', 'deleted_at'],
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
  artist: ['artist_id', 'name', 'slug', 'information', 'created_at', 'updated_at', 'deleted_at'],
  studio: ['studio_id', 'name', 'slug', 'created_at', 'updated_at', 'deleted_at'],
  playlist: [
    'playlist_id',
    'hashid',
    'name',
    'visibility',
    'description',
    'created_at',
    'updated_at',
    'deleted_at',
  ],
};
const SORTS = ['image_id', 'facet', 'path', 'created_at', 'updated_at', 'deleted_at'];
const RELATED_SORTS: Record<string, string[]> = {
  anime: ['anime_id', 'name', 'slug', 'year', 'season', 'created_at', 'updated_at', 'deleted_at'],
  artist: ['artist_id', 'name', 'slug', 'created_at'],
  studio: ['studio_id', 'name', 'slug', 'updated_at'],
  playlist: ['playlist_id', 'hashid', 'name', 'created_at'],
};
const OPS = ['', '-eq', '-ne', '-lt', '-gt', '-lte', '-gte', '-like', '-notlike', '-not', '-bogus'];
const LOGIC = ['', '-and', '-or'];
const FILTER_VALUES: Record<string, string[]> = {
  image_id: [
    '1',
    '100',
    '0',
    '-5',
    '1,2,3',
    'abc',
    '1.5',
    '9007199254740991',
    '9007199254740992',
    '1e3',
    ' 1',
    '0x10',
  ],
  path: ['%25cover%25', 'x', '%25', 'a\\,b', 'a,b', '%25_%25', 'nope'],
  facet: [
    'Grill',
    'grill',
    'Cover',
    'large cover',
    'LARGE%20COVER',
    'Small%20Cover',
    '0',
    '1',
    '2',
    '3',
    'Grill,Cover',
    'Bogus',
    '-1',
  ],
  created_at: [
    '2024',
    '2024-01',
    '2024-01-15',
    '2024-01-15T12',
    '2024-01-15T12:30',
    '2024-01-15T12:30:45',
    '2024-01-15T12:30:45.123456Z',
    '2024-13',
    '2024-01-32',
    'yesterday',
    '2024-01-15T25',
    '2024-01-15T12:30:45.1234567',
    '2020,2021',
  ],
  updated_at: ['2025', '2023-06-01T00:00:00Z'],
  deleted_at: ['2020', '2030'],
  year: ['2020', '2000', 'abc', '2019,2020'],
  season: ['Winter', 'fall', 'Bogus', '0', 'Spring,Summer'],
  media_format: ['TV', 'tv%20short', 'Movie', 'Bogus', '1'],
  name: ['%25a%25', 'x'],
  slug: ['%25b%25'],
  anime_id: ['1', '5,6', 'x'],
  artist_id: ['1'],
  studio_id: ['2'],
  playlist_id: ['3'],
  hashid: ['%25a%25'],
  visibility: ['Public'],
};

function filterKeys(): string[] {
  return Object.keys(FILTER_VALUES);
}

function listProbes(): Probe[] {
  const probes: Probe[] = [];
  const list = (family: string, query: string, extra: Partial<Probe> = {}) =>
    probes.push({ family, method: 'GET', path: `/api/image${query ? `?${query}` : ''}`, ...extra });

  list('list.plain', '');
  for (const size of [
    '1',
    '2',
    '15',
    '100',
    '0',
    '101',
    '-1',
    'abc',
    '1.5',
    '',
    '%201',
    '1e1',
    '07',
  ])
    for (const number of [
      '1',
      '2',
      '3',
      '134',
      '200',
      '2147483647',
      '2147483648',
      '0',
      '-1',
      'x',
      '',
    ])
      list('list.page', `page[size]=${size}&page[number]=${number}`);
  for (const key of ['page', 'page[]', 'page[foo]=1', 'page[size][x]=1', 'page=1'])
    list('list.page.bad', key.includes('=') ? key : `${key}=1`);

  // include and fields families
  for (let mask = 0; mask < 16; mask++) {
    const include = RELATIONS.filter((_, i) => mask & (1 << i)).join(',');
    if (include) list('list.include', `include=${include}&page[size]=5`);
    for (let n = 0; n < 12; n++) {
      const parts = [`page[size]=${pick(['3', '10'])}`, `page[number]=${pick(['1', '7', '60'])}`];
      if (include) parts.push(`include=${include}`);
      for (const type of Object.keys(FIELDS))
        if (random() < 0.5) {
          const fields = subset(FIELDS[type]);
          if (fields.length) parts.push(`fields[${type}]=${fields.join(',')}`);
        }
      list('list.include+fields', parts.join('&'));
    }
  }
  for (const bad of [
    'include=bogus',
    'include=anime,anime',
    'include=',
    'include=%20anime%20,%20studios',
    'include=Anime',
    'include=anime,',
    'include[]=anime',
    'include=image',
    'fields=path',
    'fields[image]=bogus',
    'fields[image]=path,path',
    'fields[bogus]=x',
    'fields[image]=',
    'fields[image]=%20path%20',
    'fields[anime]=name&include=anime',
    'fields[artist]=name,artistimage&include=artists',
    'fields[image][x]=path',
    'fields[playlist]=visibility,description&include=playlists',
  ])
    list('list.include.bad', bad);

  // filters on images and (unscoped or scoped) on related types
  for (const key of filterKeys())
    for (const op of OPS)
      for (const value of FILTER_VALUES[key]) {
        const logic = pick(LOGIC);
        list('list.filter', `filter[${key}${op}${logic}]=${value}&page[size]=5`);
        if (!['image_id', 'path', 'facet', 'deleted_at'].includes(key) && random() < 0.3) {
          const include = pick([
            'anime',
            'artists',
            'studios',
            'playlists',
            'anime,artists,studios,playlists',
          ]);
          list(
            'list.filter+include',
            `include=${include}&filter[${key}${op}]=${value}&page[size]=4`,
          );
        }
      }
  for (const type of ['image', 'anime', 'artist', 'studio', 'playlist', 'bogus'])
    for (const key of filterKeys())
      if (random() < 0.5) {
        const value = pick(FILTER_VALUES[key]);
        const include =
          type === 'image' ? '' : `include=${type === 'anime' ? 'anime' : `${type}s`}&`;
        list(
          'list.filter.scoped',
          `${include}filter[${type}][${key}${pick(OPS.slice(0, 7))}]=${value}&page[size]=4`,
        );
      }
  for (let n = 0; n < 300; n++) {
    const parts = ['page[size]=6'];
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
      const key = pick(['image_id', 'facet', 'path', 'created_at']);
      parts.push(
        `filter[${key}${pick(['', '-ne', '-gt', '-lt', '-like'])}${pick(LOGIC)}]=${pick(FILTER_VALUES[key])}`,
      );
    }
    list('list.filter.combo', parts.join('&'));
  }
  for (const trashed of ['with', 'without', 'only', 'WITH', 'Only', 'bogus', '', 'with,only'])
    for (const include of ['', 'include=anime,artists,studios,playlists&'])
      for (const fields of [
        '',
        'fields[image]=image_id,deleted_at&',
        'fields[anime]=anime_id,deleted_at&',
      ])
        list('list.trashed', `${include}${fields}filter[trashed]=${trashed}&page[size]=25`);
  for (const bad of [
    'filter[trashed-eq]=with',
    'filter[trashed-or]=with',
    'filter[image][trashed]=with',
    'filter[anime][trashed]=only&include=anime',
  ])
    list('list.trashed.bad', bad);
  for (const has of [
    'anime',
    'artists',
    'studios',
    'playlists',
    'anime,studios',
    'bogus',
    '',
    '%20anime',
    'anime,anime',
  ])
    for (const key of ['filter[has]', 'filter[has-or]', 'filter[has-and]', 'filter[has-ne]'])
      for (const extra of [
        '',
        '&filter[anime][year]=2020',
        '&filter[trashed]=with',
        '&filter[created_at-gte]=2025&include=studios',
      ])
        list('list.has', `${key}=${has}${extra}&page[size]=5`);

  // sort
  for (const key of SORTS)
    for (const dir of ['', '-'])
      for (const size of ['7', '30']) {
        list('list.sort', `sort=${dir}${key}&page[size]=${size}&page[number]=2`);
        list('list.sort', `sort[image]=${dir}${key}&page[size]=${size}`);
      }
  for (let n = 0; n < 150; n++) {
    const keys = subset(SORTS).map((key) => `${pick(['', '-'])}${key}`);
    if (keys.length)
      list(
        'list.sort.combo',
        `sort=${keys.join(',')}&page[size]=9&page[number]=${pick(['1', '3'])}`,
      );
  }
  for (const query of [
    'sort=random',
    'sort=random&include=anime&page[size]=3',
    'sort=random&page[number]=2',
    'sort[image]=random',
    'sort=%20random%20',
  ]) {
    list('list.sort.random', query, { shapeOnly: true });
  }
  for (const type of Object.keys(RELATED_SORTS))
    for (const key of RELATED_SORTS[type]) {
      const include = type === 'anime' ? 'anime' : `${type}s`;
      list(
        'list.sort.related',
        `include=${include}&sort[${type}]=${pick(['', '-'])}${key}&page[size]=5`,
      );
    }
  for (const bad of [
    'sort=bogus',
    'sort=path,-path',
    'sort=random,path',
    'sort=',
    'sort=-',
    'sort=%20path',
    'sort=path&sort[anime]=name',
    'sort[bogus]=x',
    'sort[anime]=bogus&include=anime',
    'sort[anime]=media_format&include=anime',
    'sort[playlist]=visibility&include=playlists',
    'sort=random&page[cursor]=x',
    'sort=+path',
    'sort=--path',
    'sort=random,random',
  ])
    list('list.sort.bad', bad);

  // unknown, repeated, empty, odd and long parameters
  for (const bad of [
    'bogus=1',
    'filter=1',
    'filter[]=1',
    'filter[bogus]=1',
    'page[size]=5&page[size]=5',
    'include=anime&include=anime',
    'filter[facet]=Grill&filter[facet]=Grill',
    'sort=path&sort=path',
    'page[size]=',
    'filter[path]=',
    'a',
    '&',
    '&&page[size]=2',
    '=1',
    '%5Bpage%5D=1',
    'page%5Bsize%5D=3',
    'filter%5Bfacet%5D=Grill',
    'filter[facet]=Grill%00',
    'filter[path]=%C2%85',
    'filter[path]=%E2%80%A8',
    'filter[path]=%FF',
    'filter[path]=%',
    'filter[path]=%2',
    'filter[path]=%25%25',
    `filter[path]=${'a'.repeat(5000)}`,
    `filter[path-like]=${'%25'.repeat(300)}`,
    `include=${'anime,'.repeat(200)}anime`,
    `filter[${'x'.repeat(300)}]=1`,
    'filter[facet]=%E2%9C%93',
    'filter[path]=caf%C3%A9',
    'page[size]=+5',
    'page[size]=5+',
    'page[size]=%205',
    'page[size]=5%00',
    'filter[image_id]=00001',
    'filter[image_id]=-0',
    'filter[image_id]=%2B1',
    'PAGE[size]=5',
    'Include=anime',
    'page[Size]=5',
    'filter[FACET]=Grill',
    'filter[facet-NE]=Grill',
    'filter[path-like]=%25%5C%2C%25',
    'filter[path]=a\\\\,b',
    'page[number]=1&page[cursor]=abc',
    'page[cursor]=',
    'page[cursor]=abc',
    'page[cursor]=eyJ9',
    'page[cursor]=%00',
  ])
    list('list.odd', bad);
  for (const odd of [
    'page[size]=5&',
    'page[size]=5;page[number]=2',
    'filter[path]=a+b',
    'filter[path-like]=%25+%25',
    'filter[facet][]=Grill',
    'filter[facet][0]=Grill',
    'filter[anime][year][x]=1&include=anime',
    'fields[image][]=path',
    `${'page[size]=5&'.repeat(3)}x=1`,
    `${Array.from({ length: 1200 }, (_, i) => `filter[image_id-ne]=${i}`).join('&')}`,
    `${Array.from({ length: 30 }, (_, i) => `filter[image_id-ne-or]=${i}`).join('&')}`,
    'filter[created_at]=2024-01-15T12:00:00%2B02:00',
    'filter[created_at]=2024-01-15%2012:00',
    'filter[created_at]=2024-01-15t12',
    'filter[created_at]=2024-1-5',
    'filter[created_at]=%2B2024',
    'filter[created_at-gte]=2024-02-30',
    'filter[created_at]=2024-01-15T12:00:00.Z',
    'filter[name]=x',
    'filter[year]=2020',
    'filter[season]=Bogus',
    'filter[visibility]=Public',
    'filter[playlist][visibility]=Private&include=playlists',
    'filter[has]=anime&filter[trashed]=only',
    'filter[has]=playlists&include=playlists&fields[playlist]=playlist_id,visibility',
    'page[number]=21474836&page[size]=100',
    'filter[deleted_at]=2020&filter[trashed]=with',
    'filter[deleted_at-gte]=2000&filter[trashed]=only&fields[image]=image_id,deleted_at',
    'sort=-deleted_at&filter[trashed]=with&page[size]=30&fields[image]=image_id,deleted_at',
    'filter[image_id-or]=1&filter[image_id-or]=2',
    'filter[image_id]=1&filter[image_id-or]=2',
    'filter[image_id-or]=5&filter[facet]=Grill',
    'filter[image_id-lt]=10&filter[image_id-gt-or]=1995&sort=-image_id',
    'filter[facet-not]=Grill,Cover',
    'filter[facet-not]=Grill',
    'filter[facet-eq]=Grill,Cover',
    'filter[facet-ne]=Grill,Cover',
    'filter[path-like]=%25\\,%25',
    'include=anime&filter[anime][year-not]=2020,2021',
    'include=anime&filter[anime][season-not]=Fall',
    'include=artists&filter[artist][name-notlike]=%25a%25&fields[artist]=name',
    'include=anime&filter[year-ne]=2020&fields[anime]=anime_id,year',
  ])
    list('list.odd2', odd);
  return probes;
}

/** Random mixes of every list parameter, mostly valid: the planner's branches meet here. */
function fuzzProbes(): Probe[] {
  const types: Record<string, string> = {
    anime: 'anime',
    artists: 'artist',
    studios: 'studio',
    playlists: 'playlist',
  };
  return Array.from({ length: 600 }, () => {
    const include = subset(RELATIONS);
    const parts: string[] = [];
    if (include.length) parts.push(`include=${include.join(',')}`);
    for (const relation of include) {
      const type = types[relation];
      if (random() < 0.3)
        parts.push(`fields[${type}]=${subset(FIELDS[type]).join(',') || FIELDS[type][1]}`);
      if (random() < 0.3)
        parts.push(`sort[${type}]=${pick(['', '-'])}${pick(RELATED_SORTS[type])}`);
    }
    for (let k = Math.floor(random() * 4); k > 0; k--) {
      const key = pick(filterKeys());
      const scope =
        random() < 0.4 ? `[${pick(['image', 'anime', 'artist', 'studio', 'playlist'])}]` : '';
      const text = ['path', 'name', 'slug', 'hashid'].includes(key);
      const op = pick(
        text ? ['', '-like', '-notlike', '-ne'] : ['', '', '-ne', '-gt', '-lte', '-not'],
      );
      // Mostly the first, valid values: a 422 stops before the planner.
      const value = pick(FILTER_VALUES[key].slice(0, random() < 0.85 ? 2 : undefined));
      parts.push(`filter${scope}[${key}${op}${pick(LOGIC)}]=${value}`);
    }
    if (random() < 0.3)
      parts.push(`filter[${pick(['has', 'has-or'])}]=${subset(RELATIONS).join(',') || 'anime'}`);
    if (random() < 0.3) parts.push(`filter[trashed]=${pick(['with', 'only'])}`);
    if (random() < 0.4)
      parts.push(
        `sort=${
          subset(SORTS)
            .map((key) => `${pick(['', '-'])}${key}`)
            .join(',') || '-image_id'
        }`,
      );
    parts.push(`page[size]=${pick(['3', '10', '40'])}`);
    if (random() < 0.4)
      parts.push(random() < 0.5 ? `page[number]=${pick(['2', '5', '30'])}` : 'page[cursor]=');
    return { family: 'list.fuzz', method: 'GET', path: `/api/image?${parts.join('&')}` };
  });
}

/** Equivalent queries in other spellings, one after the other: links must repeat each one's own spelling. */
function spellingProbes(): Probe[] {
  const groups = [
    [
      'include=anime,studios',
      'include=studios,anime',
      'include=%20anime,studios%20',
      'include=anime%2Cstudios',
    ],
    [
      'page[size]=3&sort=-path',
      'sort=-path&page[size]=3',
      'page%5Bsize%5D=3&sort=-path',
      'page[size]=03&sort=-path',
    ],
    [
      'filter[facet]=Grill&page[size]=4',
      'filter[facet]=grill&page[size]=4',
      'filter[facet-eq]=GRILL&page[size]=4',
      'filter[image][facet]=Grill&page[size]=4',
    ],
    ['page[size]=15', '', 'page[number]=1', 'page[size]=15&page[number]=1'],
    [
      'fields[image]=path,image_id',
      'fields[image]=image_id,path',
      'fields[image]=%20path,image_id',
    ],
    [
      'filter[facet]=Cover',
      'filter[facet]=Large%20Cover',
      'filter[facet]=large+cover',
      'filter[facet]=1',
    ],
    [
      'sort=facet,-image_id',
      'sort=facet,-image_id&page[number]=1',
      'sort=%20facet%20,%20-image_id',
    ],
  ];
  return groups.flatMap((group) =>
    [...group, ...group].map((query) => ({
      family: 'list.spelling',
      method: 'GET',
      path: `/api/image?${query}`,
    })),
  );
}

function showProbes(): Probe[] {
  const probes: Probe[] = [];
  const show = (family: string, id: string, query = '') =>
    probes.push({ family, method: 'GET', path: `/api/image/${id}${query ? `?${query}` : ''}` });
  const ids = [
    '1',
    '2',
    '17',
    '250',
    '1999',
    '2000',
    '2001',
    '0',
    '-1',
    'abc',
    '1.0',
    '01',
    '1e2',
    '%201',
    '1%20',
    '%31',
    '9007199254740991',
    '9007199254740992',
    '18446744073709551615',
    '18446744073709551616',
    '9'.repeat(40),
    '1;2',
    '1,2',
    '%00',
    '%C2%85',
    'null',
    'undefined',
    '0x1',
    '+1',
    '',
  ];
  for (const id of ids) show('show.id', id);
  for (const id of ['1', '5', '123', '99999', 'abc']) {
    for (let mask = 0; mask < 16; mask++) {
      const include = RELATIONS.filter((_, i) => mask & (1 << i)).join(',');
      show('show.include', id, include ? `include=${include}` : 'fields[image]=path');
    }
    for (let n = 0; n < 10; n++) {
      const parts = [`include=${subset(RELATIONS).join(',') || 'anime'}`];
      for (const type of Object.keys(FIELDS))
        if (random() < 0.4)
          parts.push(`fields[${type}]=${subset(FIELDS[type]).join(',') || FIELDS[type][0]}`);
      if (random() < 0.5) parts.push(`filter[trashed]=${pick(['with', 'only', 'without'])}`);
      if (random() < 0.5)
        parts.push(
          `filter[${pick(['anime', 'artist', 'studio', 'playlist'])}][created_at-gte]=2025`,
        );
      if (random() < 0.5)
        parts.push(
          `filter[${pick(['year', 'season', 'media_format', 'name-like', 'created_at-lt'])}]=${pick(['2020', 'Fall', 'TV', '%25a%25', '2025-06'])}`,
        );
      if (random() < 0.3)
        parts.push(`sort[${pick(Object.keys(RELATED_SORTS))}]=-${pick(['name', 'created_at'])}`);
      show('show.query', id, parts.join('&'));
    }
    for (const bad of [
      'filter[facet]=Grill',
      'filter[path]=x',
      'filter[image_id]=1',
      'filter[has]=anime',
      'sort=path',
      'sort[image]=path',
      'page[size]=5',
      'page[number]=1',
      'page[cursor]=x',
      'filter[image][facet]=Grill',
      'bogus=1',
      'include=bogus',
      'include=anime&include=anime',
      'filter[trashed]=bogus',
      'filter[year]=abc&include=anime',
      'fields[image]=bogus',
      'filter[anime][year]=x&include=anime',
    ])
      show('show.bad', id, bad);
  }
  const trashed = [7, 150, 420, 888, 1234];
  for (const id of trashed) show('show.deleted?', String(id), 'fields[image]=image_id,deleted_at');
  return probes;
}

function token(permissions: string[], extra: Record<string, unknown> = {}): string {
  return sign({ sub: 'differ', permissions, ...extra }, JWT_SECRET, {
    algorithm: 'HS256',
    expiresIn: '1h',
  });
}

function writeProbes(): Probe[] {
  const all = [
    'create image',
    'update image',
    'delete image',
    'restore image',
    'force delete image',
  ];
  const auths: Record<string, string | undefined> = {
    none: undefined,
    garbage: 'Bearer garbage',
    lowercase: `bearer ${token(all)}`,
    basic: 'Basic dXNlcjpwYXNz',
    expired: `Bearer ${sign({ sub: 'differ', permissions: all, exp: 1000 }, JWT_SECRET)}`,
    wrongKey: `Bearer ${sign({ sub: 'differ', permissions: all }, 'another-secret-another-secret-another')}`,
    noSub: `Bearer ${sign({ permissions: all }, JWT_SECRET, { expiresIn: '1h' })}`,
    none_alg: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`,
    noPerms: `Bearer ${token([])}`,
    createOnly: `Bearer ${token(['create image'])}`,
    all: `Bearer ${token(all)}`,
  };
  const routes: [string, string][] = [
    ['POST', '/api/image'],
    ['PUT', '/api/image/1'],
    ['PATCH', '/api/image/1'],
    ['DELETE', '/api/image/99999'],
    ['PATCH', '/api/restore/image/99999'],
    ['PATCH', '/restore/image/99999'],
    ['DELETE', '/api/forceDelete/image/99999'],
    ['DELETE', '/forceDelete/image/99999'],
    ['PUT', '/api/image/99999'],
    ['PATCH', '/api/image/abc'],
    ['DELETE', '/api/image/abc'],
  ];
  // Every body below fails validation (or hits a missing id), so neither database changes.
  const bodies = [
    undefined,
    '',
    '{',
    'null',
    '[]',
    '"x"',
    '{}',
    '{"path": ""}',
    '{"path": "/abs.png", "facet": "Grill"}',
    '{"path": "a/../b.png", "facet": 1}',
    '{"path": "a\\\\b.png", "facet": 1}',
    '{"path": "http://x/y.png", "facet": 1}',
    '{"path": "a\\u0001b.png", "facet": 1}',
    `{"path": "${'a'.repeat(256)}", "facet": 1}`,
    '{"path": "ok.png", "facet": "Bogus"}',
    '{"path": "ok.png", "facet": 3}',
    '{"path": "ok.png", "facet": -1}',
    '{"path": "ok.png", "facet": 1.5}',
    '{"path": "ok.png", "facet": null}',
    '{"path": "ok.png", "facet": true}',
    '{"path": "ok.png", "facet": "3"}',
    '{"path": 5, "facet": "Grill"}',
    '{"path": null, "facet": "Grill"}',
    '{"path": ["a"], "facet": "Grill"}',
    '{"facet": "Grill"}',
    '{"path": "ok.png"}',
  ];
  const UPDATES = [undefined, '', '{}', '{"facet": "Grill"}', '{"path": "ok.png"}'];
  const probes: Probe[] = [];
  for (const [method, path] of routes)
    for (const [name, authorization] of Object.entries(auths)) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const forBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
      const chosen = name === 'all' && forBody ? bodies : [bodies[6]];
      for (const body of chosen) {
        const withType =
          body === undefined ? headers : { ...headers, 'content-type': 'application/json' };
        // A valid update of a live image would change it: send only those that fail validation.
        if (path === '/api/image/1' && UPDATES.includes(body)) continue;
        probes.push({ family: `write.${method}.${name}`, method, path, headers: withType, body });
      }
    }
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json;charset=UTF-8',
    'application/problem+json',
    'application/xml',
    'application/vnd.api+json',
  ])
    for (const name of ['none', 'all']) {
      const authorization = auths[name];
      probes.push({
        family: `write.content-type.${name}`,
        method: 'POST',
        path: '/api/image',
        headers: { ...(authorization ? { authorization } : {}), 'content-type': type },
        body: type.includes('json') ? '{"path": "", "facet": 1}' : 'path=x&facet=1',
      });
    }
  // Restoring a live image and an empty update change nothing, so odd ids are safe here.
  for (const id of [
    '01',
    '1.0',
    '%31',
    '0',
    '-1',
    '1e0',
    '+1',
    '18446744073709551616',
    '9'.repeat(40),
    'abc',
    '1%00',
  ])
    for (const [method, path, body] of [
      ['PUT', `/api/image/${id}`, '{}'],
      ['PATCH', `/api/restore/image/${id}`, undefined],
      ['PATCH', `/restore/image/${id}`, undefined],
    ] as const)
      probes.push({
        family: 'write.odd-id',
        method,
        path,
        headers: {
          authorization: auths.all!,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body,
      });
  for (const body of [
    '\ufeff{"path": "", "facet": 1}',
    '{"path": "", "path": "x.png"}',
    '{"path": "x.png", "path": ""}',
    'true',
    '1e999',
    '{"path": "", "facet": 1}  ',
    '{"path": "", "facet": 1} x',
    '{"path": "", "facet": 99999999999999999999}',
    `${'['.repeat(20)}${']'.repeat(20)}`,
    '{"__proto__": {"path": "x"}, "facet": 1}',
    '{"path": "x.png", "facet": "  Grill  "}',
    '{"path": "a//b.png", "facet": "nope"}',
    '{"path": "./a.png", "facet": "nope"}',
    '{"path": "a/./b.png", "facet": "nope"}',
    '{"path": "C:/a.png", "facet": 1, "bad": }',
  ])
    probes.push({
      family: 'write.odd-body',
      method: 'POST',
      path: '/api/image',
      headers: { authorization: auths.all!, 'content-type': 'application/json' },
      body,
    });
  probes.push({
    family: 'write.too-large',
    method: 'POST',
    path: '/api/image',
    headers: { authorization: auths.all!, 'content-type': 'application/json' },
    body: `{"path": "", "x": "${'a'.repeat(1_100_000)}"}`,
  });
  return probes;
}

function errorProbes(): Probe[] {
  const probes: Probe[] = [];
  for (const path of [
    '/',
    '/api',
    '/api/',
    '/api/images',
    '/api/image/',
    '/api/image/1/',
    '/api/image/1/anime',
    '/API/image',
    '/api/Image',
    '/image',
    '/api/restore/image/1',
    '/restore/image/1',
    '/forceDelete/image/1',
    '/health',
    '/health/ready',
    '/api/image?',
    '/api/image/?',
    '/api//image',
    '/api/image/1?include=anime#x',
    '/docs-json/x',
    '/api/image/%2e%2e',
    '/api/image/..%2F..%2Fetc',
  ])
    probes.push({ family: 'error.route', method: 'GET', path });
  for (const [method, path] of [
    ['POST', '/api/image/1'],
    ['PUT', '/api/image'],
    ['DELETE', '/api/image'],
    ['PATCH', '/api/image'],
    ['POST', '/api/restore/image/1'],
    ['GET', '/api/forceDelete/image/1'],
    ['OPTIONS', '/api/image'],
    ['HEAD', '/api/image'],
    ['HEAD', '/api/image/1'],
    ['TRACE', '/api/image'],
    ['POST', '/health'],
  ])
    probes.push({ family: 'error.method', method, path });
  for (const id of ['abc-123', 'x'.repeat(300), 'a b', 'ü'])
    for (const path of ['/api/image/1', '/api/image/nope', '/api/image?bogus=1', '/nope'])
      probes.push({
        family: 'error.request-id',
        method: 'GET',
        path,
        headers: { 'x-request-id': id },
      });
  for (const tag of ['*', 'W/"x"', '"x"', '"x", *', ''])
    for (const path of ['/api/image', '/api/image/1', '/api/image/99999', '/api/image?bogus=1'])
      probes.push({
        family: 'etag.if-none-match',
        method: 'GET',
        path,
        headers: { 'if-none-match': tag },
      });
  for (const headers of [
    { host: 'api.example.com' },
    { host: 'API.Example.com:8080' },
    { host: '[::1]:3000' },
    { host: 'localhost:3000', 'x-forwarded-host': 'proxy.example' },
    { host: 'localhost:3000', 'x-forwarded-proto': 'https' },
    { host: 'localhost:3000', forwarded: 'host=proxy.example;proto=https' },
  ] as Record<string, string>[])
    for (const path of ['/api/image?page[size]=2&fields[image]=image_id', '/api/image/1'])
      probes.push({ family: 'host', method: 'GET', path, headers });
  for (const accept of ['text/html', 'application/xml', '*/*', 'application/vnd.api+json'])
    probes.push({
      family: 'error.accept',
      method: 'GET',
      path: '/api/image/1',
      headers: { accept },
    });
  return probes;
}

// ---- the run -----------------------------------------------------------------------------------------

interface Difference {
  readonly family: string;
  readonly method: string;
  readonly path: string;
  readonly what: string[];
}

async function compare(probe: Probe, found: Difference[]): Promise<{ old: Answer; new: Answer }> {
  const [oldAnswer, newAnswer] = await Promise.all([send(OLD_URL, probe), send(NEW_URL, probe)]);
  const what = differences(describe(oldAnswer, probe), describe(newAnswer, probe));
  // A repeated GET with the answer's own ETag is a 304 on both sides (or on neither).
  if (probe.method === 'GET' && oldAnswer.status === 200 && !probe.shapeOnly) {
    const [old304, new304] = await Promise.all([
      oldAnswer.headers.etag
        ? send(OLD_URL, probe, { 'if-none-match': String(oldAnswer.headers.etag) })
        : undefined,
      newAnswer.headers.etag
        ? send(NEW_URL, probe, { 'if-none-match': String(newAnswer.headers.etag) })
        : undefined,
    ]);
    if (old304?.status !== new304?.status)
      what.push(`.revalidate: ${old304?.status} -> ${new304?.status}`);
    if (old304 && new304 && old304.text !== new304.text)
      what.push(`.revalidate body: ${old304.text} -> ${new304.text}`);
  }
  if (what.length)
    found.push({ family: probe.family, method: probe.method, path: probe.path, what });
  return { old: oldAnswer, new: newAnswer };
}

/** Follows links.next (and then links.prev) on each side from its own answers, comparing every page. */
async function walk(start: string, found: Difference[]): Promise<number> {
  let sent = 0;
  const next = (answer: Answer, rel: 'next' | 'prev'): string | undefined => {
    const link = (parse(answer.text) as { links?: Record<string, string | null> }).links?.[rel];
    return link ? new URL(link).pathname + new URL(link).search : undefined;
  };
  let oldPath: string | undefined = start;
  let newPath: string | undefined = start;
  for (const rel of ['next', 'prev'] as const) {
    for (let step = 0; step < 6 && oldPath && newPath; step++) {
      const [oldAnswer, newAnswer] = await Promise.all([
        send(OLD_URL, { family: 'walk', method: 'GET', path: oldPath }),
        send(NEW_URL, { family: 'walk', method: 'GET', path: newPath }),
      ]);
      sent++;
      const probe: Probe = { family: 'list.cursor-walk', method: 'GET', path: oldPath };
      const what = differences(describe(oldAnswer, probe), describe(newAnswer, probe));
      if (what.length)
        found.push({
          family: probe.family,
          method: 'GET',
          path: `${start} (${rel} step ${step})`,
          what,
        });
      const oldNext = next(oldAnswer, rel);
      const newNext = next(newAnswer, rel);
      if (rel === 'next' && step === 5) break;
      oldPath = oldNext;
      newPath = newNext;
    }
  }
  return sent;
}

/** Timestamps written during the run say only that they are recent, and whether they equal created_at. */
function withoutNow(value: unknown): unknown {
  const recent = (text: unknown) =>
    typeof text === 'string' &&
    /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(text) &&
    Date.now() - Date.parse(text) < 3_600_000;
  return JSON.parse(
    JSON.stringify(value),
    function (this: Record<string, unknown>, key, inner: unknown) {
      if (key === 'updated_at' && recent(inner))
        return inner === this.created_at ? '<now, = created_at>' : '<now>';
      return recent(inner) ? '<now>' : inner;
    },
  );
}

/**
 * The write routes that succeed, on images the run creates and force-deletes itself (so the seeded rows
 * stay as they are): create, no-op and real updates, 304s before and after, soft delete, restore, force
 * delete, both spellings of the unprefixed routes. `{id}` is each side's own id.
 */
async function lifecycle(found: Difference[], statuses: number[]): Promise<number> {
  const all = `Bearer ${token(['create image', 'update image', 'delete image', 'restore image', 'force delete image'])}`;
  const json = { authorization: all, 'content-type': 'application/json' };
  const ids = { old: '', new: '' };
  const etags = { old: '', new: '' };
  let sent = 0;
  const step = async (
    method: string,
    path: string,
    options: { body?: string; etag?: boolean; auth?: boolean } = {},
  ) => {
    const answers = await Promise.all(
      (['old', 'new'] as const).map((side) =>
        send(side === 'old' ? OLD_URL : NEW_URL, {
          family: 'write.lifecycle',
          method,
          path: path.replace('{id}', ids[side]),
          headers: {
            ...(options.body === undefined ? (options.auth ? { authorization: all } : {}) : json),
            ...(options.etag ? { 'if-none-match': etags[side] } : {}),
          },
          body: options.body,
        }),
      ),
    );
    sent++;
    statuses.push(answers[0].status);
    const probe: Probe = { family: 'write.lifecycle', method, path };
    const [oldView, newView] = answers.map((answer) => {
      const view = describe(answer, probe);
      const location =
        typeof view.location === 'string' ? view.location.replace(/\d+$/, '{id}') : view.location;
      return withoutNow({ ...view, location });
    });
    const what = differences(oldView, newView);
    if (what.length) found.push({ family: probe.family, method, path, what });
    return answers;
  };
  const create = async (path: string) => {
    const [oldAnswer, newAnswer] = await step('POST', '/api/image', {
      body: JSON.stringify({ path, facet: 'Large Cover' }),
    });
    ids.old = String((parse(oldAnswer.text) as { image?: { image_id: number } }).image?.image_id);
    ids.new = String((parse(newAnswer.text) as { image?: { image_id: number } }).image?.image_id);
  };
  const remember = async () => {
    const [oldAnswer, newAnswer] = await step('GET', '/api/image/{id}');
    etags.old = String(oldAnswer.headers.etag);
    etags.new = String(newAnswer.headers.etag);
  };
  for (const [n, prefix] of [
    [1, '/api'],
    [2, ''],
  ] as const) {
    await create(`differential/run-${n}.png`);
    await remember();
    await step('GET', '/api/image/{id}', { etag: true });
    await step('PATCH', '/api/image/{id}', { body: '{}' });
    await step('PUT', '/api/image/{id}', { body: '{"facet": "Cover"}' });
    await step('GET', '/api/image/{id}', { etag: true });
    await step('PUT', '/api/image/{id}', { body: '{"facet": 2}' });
    await step('GET', '/api/image/{id}', { etag: true });
    await remember();
    const listed = `/api/image?filter[path-like]=differential/%25&fields[image]=image_id,path,facet,updated_at`;
    const shown = '/api/image/{id}?include=anime&fields[image]=path,facet';
    await step('GET', listed);
    await step('GET', shown);
    await step('PATCH', '/api/image/{id}', {
      body: `{"path": "differential/renamed-${n}.png", "facet": "0", "x": 1}`,
    });
    await step('GET', listed);
    await step('GET', shown);
    await step('GET', '/api/image/{id}', { etag: true });
    await step('DELETE', '/api/image/{id}', { auth: true });
    await step('GET', listed);
    await step('DELETE', '/api/image/{id}', { auth: true });
    await step('PUT', '/api/image/{id}', { body: '{"facet": 1}' });
    await step('GET', '/api/image/{id}?fields[image]=image_id,deleted_at');
    await step(
      'GET',
      `/api/image?filter[trashed]=only&filter[path-like]=differential/%25&fields[image]=path,deleted_at`,
    );
    await step('PATCH', `${prefix}/restore/image/{id}`, { auth: true });
    await step('PATCH', `${prefix}/restore/image/{id}`, { auth: true });
    if (n === 2) await step('DELETE', '/api/image/{id}', { auth: true });
    await step('GET', listed);
    await step('DELETE', `${prefix}/forceDelete/image/{id}`, { auth: true });
    await step('GET', listed);
    await step('DELETE', `${prefix}/forceDelete/image/{id}`, { auth: true });
    await step('GET', '/api/image/{id}');
  }
  // Creates that succeed with every accepted spelling, each force-deleted again at once.
  for (const body of [
    { path: 'differential/a b.png', facet: 'small cover' },
    { path: 'differential/c.png', facet: '2' },
    { path: 'differential/d.png', facet: 0, image_id: 5, created_at: '2000-01-01' },
    { path: `differential/${'e'.repeat(241)}`, facet: 'GRILL' },
    { path: 'differential/ü;,=é.png', facet: 'Cover' },
    { path: 'differential/x', facet: 1.0 },
    { path: 'differential/f.png', facet: ' 1' },
    { path: 'differential/g.png', facet: '1.0' },
    { path: 'differential/h..png', facet: 1 },
    { path: 'differential/.hidden', facet: 1 },
    { path: 'differential/i.png ', facet: 1 },
    { path: 'a:b.png', facet: 1 },
    { path: ' ', facet: 1 },
  ]) {
    const [oldAnswer, newAnswer] = await step('POST', '/api/image', { body: JSON.stringify(body) });
    ids.old = String((parse(oldAnswer.text) as { image?: { image_id: number } }).image?.image_id);
    ids.new = String((parse(newAnswer.text) as { image?: { image_id: number } }).image?.image_id);
    if (oldAnswer.status === 201 || newAnswer.status === 201) {
      await step('GET', '/api/image/{id}');
      await step('DELETE', '/api/forceDelete/image/{id}', { auth: true });
    }
  }
  return sent;
}

async function main(): Promise<void> {
  const probes = [
    ...listProbes(),
    ...fuzzProbes(),
    ...showProbes(),
    ...errorProbes(),
    ...writeProbes(),
  ];
  const found: Difference[] = [];
  const statuses: number[] = [];
  const queue = [...probes];
  const workers = Array.from({ length: 4 }, async () => {
    for (let probe = queue.shift(); probe; probe = queue.shift())
      statuses.push((await compare(probe, found)).old.status);
  });
  await Promise.all(workers);
  let walked = 0;
  for (const sort of [
    '',
    'sort=-facet&',
    'sort=path&',
    'sort=-created_at,facet&',
    'sort=deleted_at&',
    'sort=updated_at,-image_id&',
  ])
    for (const extra of [
      '',
      '&filter[trashed]=with',
      '&filter[facet]=Grill&include=anime',
      '&filter[has]=studios',
    ])
      for (const page of ['page[cursor]=&page[size]=7', 'page[size]=7'])
        walked += await walk(`/api/image?${sort}${page}${extra}`, found);
  for (const probe of spellingProbes()) statuses.push((await compare(probe, found)).old.status);
  const written = await lifecycle(found, statuses);
  const byStatus = new Map<number, number>();
  for (const status of statuses) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  console.log(
    `old statuses: ${[...byStatus]
      .sort()
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ')}`,
  );
  const byFamily = new Map<string, number>();
  for (const difference of found)
    byFamily.set(difference.family, (byFamily.get(difference.family) ?? 0) + 1);
  writeFileSync(REPORT, JSON.stringify(found, null, 1));
  console.log(
    `${probes.length} requests and ${walked} cursor-walk pages and ${written} lifecycle writes sent to both; ${found.length} differ (${REPORT})`,
  );
  for (const [family, count] of [...byFamily].sort()) console.log(`  ${family}: ${count}`);
}

void main();
