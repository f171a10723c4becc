/**
 * `npm run bench:parity`: proves the ceiling answers the benchmark's requests as the service does —
 * the same status, the same body byte for byte, the same ETag and Cache-Control — so that the
 * benchmark compares equal work. Starts both on the bench database (seeding it if needed), sends
 * each request to both, and prints every difference; exits 1 if there is one.
 *
 * Writes (POST then DELETE) differ by nature in ids and timestamps: their bodies are compared with
 * those normalised, their statuses and headers as they are.
 */
import 'reflect-metadata';
import { request as httpRequest } from 'node:http';
import { ensureBenchDatabase } from './bench-data';
import { deepCursorPath } from './scenarios';
import { benchToken, buildServers, startVariants, stopVariants, variants } from './variants';

interface Answer {
  status: number;
  body: string;
  etag: string | null;
  cacheControl: string | null;
  location: string | null;
}

/** Both servers are asked with the same Host, so that their links (and tags) can be equal. */
const HOST = 'bench.test';

function ask(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        headers: { host: HOST, ...init.headers },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          const header = (name: string) => {
            const value = response.headers[name];
            return typeof value === 'string' ? value : null;
          };
          resolve({
            status: response.statusCode ?? 0,
            body,
            etag: header('etag'),
            cacheControl: header('cache-control'),
            location: header('location'),
          });
        });
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}

/** A link's path and query on the other server (links carry the host they were asked on). */
const relative = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

const READS = [
  '/api/image',
  '/api/image?page[size]=100',
  '/api/image?page[number]=2',
  '/api/image?page[number]=6000',
  '/api/image?page[number]=999999',
  '/api/image?include=anime,artists',
  '/api/image?include=anime,artists,studios&page[size]=50&page[number]=3',
  '/api/image?filter[facet]=Cover&sort=-created_at',
  '/api/image?sort=-facet,path&page[size]=30',
  '/api/animeimage?include=anime,image',
  '/api/animeimage?include=anime,image&page[size]=50&page[number]=3',
  '/api/animeimage',
  '/api/image?sort=updated_at&page[number]=40',
  '/api/image?page[size]=15&page[cursor]=',
  '/api/image?include=anime,artists&page[cursor]=&sort=-created_at',
  '/api/image?filter[facet]=Grill&page[cursor]=&page[size]=7',
  '/api/image/5000?include=anime,artists,studios',
  '/api/image/1',
  '/api/image/999999',
];

async function main(): Promise<void> {
  buildServers();
  await ensureBenchDatabase();
  const [service, ceiling] = variants('warn');
  const both = [service, ceiling];
  const problems: string[] = [];
  const compare = (what: string, a: Answer, b: Answer, normalise = (body: string) => body) => {
    const fields: (keyof Answer)[] = ['status', 'etag', 'cacheControl'];
    for (const field of fields) {
      if (a[field] !== b[field]) {
        problems.push(
          `${what}: ${field} ${JSON.stringify(a[field])} ≠ ${JSON.stringify(b[field])}`,
        );
      }
    }
    const [left, right] = [normalise(a.body), normalise(b.body)];
    if (left !== right) {
      const at = [...left].findIndex((char, index) => char !== right[index]);
      problems.push(
        `${what}: bodies differ at ${at}:\n    service …${left.slice(Math.max(0, at - 60), at + 60)}\n    ceiling …${right.slice(Math.max(0, at - 60), at + 60)}`,
      );
    }
  };

  await startVariants(both);
  try {
    // Reads, the links they hand out (cursor walks included), and their 304s.
    const paths = [...READS, await deepCursorPath(service.port, 90_000)];
    const seen = new Set<string>();
    while (paths.length > 0) {
      const path = paths.shift() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const [a, b] = await Promise.all(both.map((variant) => ask(variant.port, path)));
      compare(`GET ${path}`, a, b);
      if (a.status === 200 && a.etag !== null) {
        const [c, d] = await Promise.all(
          both.map((variant) =>
            ask(variant.port, path, { headers: { 'if-none-match': a.etag as string } }),
          ),
        );
        compare(`GET ${path} If-None-Match`, c, d);
        if (c.status !== 304) problems.push(`GET ${path}: no 304 for its own ETag`);
      }
      // Follow next/prev links of the cursor walks a few steps.
      if (a.status === 200 && path.includes('page[cursor]') && seen.size < 60) {
        const links = (JSON.parse(a.body) as { links?: Record<string, string | null> }).links;
        for (const key of ['next', 'prev']) {
          const link = links?.[key];
          if (typeof link === 'string') paths.push(relative(link));
        }
      }
    }

    // Writes: the same statuses, headers and bodies up to ids and timestamps.
    const token = benchToken('10m');
    const normalise = (body: string) =>
      body
        .replace(/"image_id":\d+/g, '"image_id":0')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/g, 'T');
    const created: Answer[] = [];
    for (const variant of both) {
      created.push(
        await ask(variant.port, '/api/image', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ path: 'bench/parity.jpg', facet: 'Cover' }),
        }),
      );
    }
    compare('POST /api/image', created[0], created[1], normalise);
    const deleted: Answer[] = [];
    for (const [index, variant] of both.entries()) {
      const id = (JSON.parse(created[index].body) as { image: { image_id: number } }).image
        .image_id;
      if (created[index].location !== `http://${HOST}/api/image/${id}`) {
        problems.push(`POST on ${variant.name}: Location ${created[index].location}`);
      }
      deleted.push(
        await ask(variant.port, `/api/image/${id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        }),
      );
    }
    compare('DELETE /api/image/:id', deleted[0], deleted[1], normalise);
    const unauthenticated = await Promise.all(
      both.map((variant) => ask(variant.port, '/api/image', { method: 'POST' })),
    );
    compare('POST /api/image without a token', unauthenticated[0], unauthenticated[1]);
    console.log(`compared ${seen.size} reads (and their 304s) and 3 writes`);
  } finally {
    await stopVariants(both);
  }
  if (problems.length > 0) {
    console.error(`${problems.length} difference(s):\n${problems.join('\n')}`);
    process.exit(1);
  }
  console.log('the ceiling answers as the service does');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
