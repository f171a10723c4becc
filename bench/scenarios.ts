import type autocannon from 'autocannon';
import type { RowDataPacket } from 'mysql2/promise';
import { CursorCodec } from '../src/query';
import { benchDatabase, connectToBench, CURSOR_SECRET, VariantName } from './variants';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** What every answer should be: 2xx unless said otherwise. */
  readonly expectedStatus?: 304;
  /** The requests each variant answers; a variant without an entry sits the scenario out. */
  readonly requests: Partial<
    Record<VariantName, (port: number, token: string) => Promise<autocannon.Request[]>>
  >;
  /**
   * A target that compares the service with itself on another request (a cursor page against page
   * 1, a 304 against the same request answered 200): that request, loaded on the service in every
   * round right after the scenario's own loads, so that the two are measured side by side like the
   * variants and not minutes apart in different scenarios. Expected answers: 2xx.
   */
  readonly serviceBaseline?: {
    readonly description: string;
    readonly requests: (port: number, token: string) => Promise<autocannon.Request[]>;
  };
}

const get =
  (path: string, headers: Record<string, string> = {}) =>
  (): Promise<autocannon.Request[]> =>
    Promise.resolve([{ method: 'GET', path, headers }]);

/** Reads a fresh ETag, so that the load is answered 304 from the cheap check. */
const conditional =
  (path: string) =>
  async (port: number): Promise<autocannon.Request[]> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    const etag = response.headers.get('etag');
    if (etag === null) throw new Error(`no ETag from port ${port} for ${path}`);
    return [{ method: 'GET', path, headers: { 'if-none-match': etag } }];
  };

/**
 * The path of the keyset page that starts after the row at `depth` of the default order, with the
 * default page size: the cursor is made with the benchmark's CURSOR_SECRET for the binding the
 * server itself hands out (read from its first page), so no 6,000-page walk is needed.
 */
export async function deepCursorPath(port: number, depth: number): Promise<string> {
  const first = (await (
    await fetch(`http://127.0.0.1:${port}/api/image?page[cursor]=`)
  ).json()) as {
    links: { next: string | null };
  };
  if (first.links.next === null) throw new Error('the data set has a single page');
  const token = new URL(first.links.next).searchParams.get('page[cursor]') as string;
  const [, binding] = JSON.parse(
    Buffer.from(token.split('.')[0], 'base64url').toString('utf8'),
  ) as [number, string];
  const connection = await connectToBench(benchDatabase());
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT image_id FROM images WHERE deleted_at IS NULL ORDER BY image_id LIMIT 1 OFFSET ?',
      [depth - 1],
    );
    if (rows.length === 0) throw new Error(`the data set is shallower than ${depth} rows`);
    const cursor = new CursorCodec(CURSOR_SECRET).encode(binding, {
      direction: 'after',
      values: [Number(rows[0].image_id)],
    });
    return `/api/image?page[cursor]=${cursor}`;
  } finally {
    await connection.end();
  }
}

/** The keyset page 90,000 rows deep (the depth of offset page 6,000 of 15). */
const cursorAtDepth =
  (depth: number) =>
  async (port: number): Promise<autocannon.Request[]> => [
    { method: 'GET', path: await deepCursorPath(port, depth) },
  ];

const writePair =
  () =>
  (_port: number, token: string): Promise<autocannon.Request[]> =>
    Promise.resolve([
      {
        method: 'POST',
        path: '/api/image',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          path: 'bench/large-cover/created-by-the-benchmark.jpg',
          facet: 'Cover',
        }),
        onResponse: (status: number, body: string, context: Record<string, unknown>) => {
          // A failed create deletes nothing (the DELETE then answers 404, counted as unexpected).
          context.imageId =
            status === 201
              ? (JSON.parse(body) as { image: { image_id: number } }).image.image_id
              : 0;
        },
      },
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
        setupRequest: (request: autocannon.Request, context: Record<string, unknown>) => ({
          ...request,
          path: `/api/image/${String(context.imageId)}`,
        }),
      },
    ] as autocannon.Request[]);

export const SCENARIOS: Scenario[] = [
  {
    name: 'page-1',
    description: 'GET /api/image (page 1, default fields)',
    requests: {
      service: get('/api/image'),
      cached: get('/api/image'),
      ceiling: get('/api/image'),
      peer: get('/api/image'),
    },
  },
  {
    name: 'page-1-include',
    description: 'GET /api/image?include=anime,artists',
    requests: {
      service: get('/api/image?include=anime,artists'),
      cached: get('/api/image?include=anime,artists'),
      ceiling: get('/api/image?include=anime,artists'),
      peer: get('/api/image/with-relations'),
    },
  },
  {
    name: 'filter-sort',
    description: 'GET /api/image?filter[facet]=Cover&sort=-created_at',
    requests: {
      service: get('/api/image?filter[facet]=Cover&sort=-created_at'),
      ceiling: get('/api/image?filter[facet]=Cover&sort=-created_at'),
      peer: get('/api/image?filter.facet=$eq:1&sortBy=created_at:DESC'),
    },
  },
  {
    name: 'deep-offset',
    description: 'GET /api/image?page[number]=6000 (90,000 rows deep by offset)',
    requests: {
      service: get('/api/image?page[number]=6000'),
      ceiling: get('/api/image?page[number]=6000'),
      peer: get('/api/image?page=6000'),
    },
  },
  {
    name: 'deep-cursor',
    description: 'GET /api/image?page[cursor]=… (the same depth by keyset cursor)',
    requests: { service: cursorAtDepth(90_000), ceiling: cursorAtDepth(90_000) },
    serviceBaseline: { description: 'page 1 (GET /api/image)', requests: get('/api/image') },
  },
  {
    name: 'show-include',
    description: 'GET /api/image/5000?include=anime,artists,studios',
    requests: {
      service: get('/api/image/5000?include=anime,artists,studios'),
      cached: get('/api/image/5000?include=anime,artists,studios'),
      ceiling: get('/api/image/5000?include=anime,artists,studios'),
    },
  },
  {
    name: 'conditional-304',
    description: 'GET /api/image?include=anime,artists with a matching If-None-Match (304)',
    expectedStatus: 304,
    requests: {
      service: conditional('/api/image?include=anime,artists'),
      ceiling: conditional('/api/image?include=anime,artists'),
    },
    serviceBaseline: {
      description: 'the same request answered 200 (no If-None-Match)',
      requests: get('/api/image?include=anime,artists'),
    },
  },
  {
    name: 'pivot-list-include',
    description: 'GET /api/animeimage?include=anime,image (links with both sides)',
    requests: {
      service: get('/api/animeimage?include=anime,image'),
      cached: get('/api/animeimage?include=anime,image'),
      ceiling: get('/api/animeimage?include=anime,image'),
    },
  },
  {
    name: 'write-pair',
    description: 'POST /api/image then DELETE it (JWT-authenticated)',
    requests: { service: writePair(), ceiling: writePair() },
  },
];

/**
 * Fails a load of a scenario in which an answer was not the expected one (2xx, or the scenario's
 * `expectedStatus`), or a request erred or timed out: a tool that reads costs per request must not
 * average in error answers.
 */
export function assertExpectedAnswers(
  variantName: VariantName,
  result: autocannon.Result,
  expectedStatus: Scenario['expectedStatus'],
): void {
  const statuses = result as unknown as Record<string, number>;
  const expected = statuses[expectedStatus === 304 ? '3xx' : '2xx'] ?? 0;
  const unexpected = result.requests.total - expected + result.errors + result.timeouts;
  if (unexpected > 0) {
    throw new Error(`${variantName}: ${unexpected} of ${result.requests.total} answers unexpected`);
  }
}

export async function prepareScenario(
  scenario: Scenario,
  variant: VariantName,
  port: number,
  token: string,
): Promise<autocannon.Request[] | undefined> {
  const prepare = scenario.requests[variant];
  if (prepare === undefined) return undefined;
  try {
    return await prepare(port, token);
  } catch (error) {
    console.warn(`   ${variant} skips ${scenario.name}: ${(error as Error).message}`);
    return undefined;
  }
}

/** The scenario called `name`; throws, naming the others, when there is none. */
export function scenarioNamed(name: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (scenario === undefined) {
    throw new Error(`no scenario ${name}: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return scenario;
}

/** Each server's requests for `scenario`; throws when one of them does not answer it. */
export async function requestsOfEach(
  scenario: Scenario,
  servers: readonly { readonly name: VariantName; readonly port: number }[],
  token: string,
): Promise<Map<VariantName, autocannon.Request[]>> {
  const requests = new Map<VariantName, autocannon.Request[]>();
  for (const server of servers) {
    const prepared = await prepareScenario(scenario, server.name, server.port, token);
    if (prepared === undefined) throw new Error(`${server.name} does not answer ${scenario.name}`);
    requests.set(server.name, prepared);
  }
  return requests;
}
