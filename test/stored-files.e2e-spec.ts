import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { STORAGE_DRIVER, type StorageDriver } from '../src/storage';
import { IMAGE_FILES, pngFile, TEXT_FILE } from '../src/storage/testing/image-files';
import { createTestApp, describeEachDatabase, type TestApp } from './helpers/test-app';

const NOT_FOUND = { message: 'Not Found.' };
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent byte for byte as written (no client-side `..` resolution). */
function rawRequest(
  testApp: TestApp,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const { port } = testApp.app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const json = (answer: RawAnswer): unknown => JSON.parse(answer.body.toString('utf8'));

/**
 * `GET /storage/images/<path>` with the local driver: every accepted type served with its type,
 * length, strong ETag and a year of caching; 304 for a matching `If-None-Match`; and 404 in the
 * contract's shape for anything missing or outside the folder, however the path is spelled.
 */
describeEachDatabase('stored files: GET /storage/images/<path>', (context) => {
  let storage: StorageDriver;
  let outside: string;

  beforeAll(async () => {
    const testApp = context();
    await testApp.app.listen(0, '127.0.0.1');
    storage = testApp.app.get<StorageDriver>(STORAGE_DRIVER);
    for (const file of IMAGE_FILES) {
      await storage.put(`cover/sample.${file.extension}`, Readable.from([file.content()]), {
        maxBytes: 1024 * 1024,
        contentType: file.contentType,
      });
    }
    // A file next to the storage folder, and links from inside the folder to it.
    outside = mkdtempSync(join(tmpdir(), 'image-api-outside-'));
    writeFileSync(join(outside, 'secret.png'), pngFile());
    const root = testApp.config.storage.directory;
    mkdirSync(root, { recursive: true });
    symlinkSync(join(outside, 'secret.png'), join(root, 'linked.png'));
    symlinkSync(outside, join(root, 'linked-folder'));
  });

  afterAll(() => {
    rmSync(outside, { recursive: true, force: true });
  });

  it.each(IMAGE_FILES)(
    'should serve a stored $name file with its type, length, a strong ETag and a year of caching',
    async ({ content, extension, contentType }) => {
      const answer = await rawRequest(context(), `/storage/images/cover/sample.${extension}`);
      expect(answer.status).toBe(200);
      expect(answer.body.equals(content())).toBe(true);
      expect(answer.headers).toMatchObject({
        'content-type': contentType,
        'content-length': String(content().length),
        'cache-control': CACHE_CONTROL,
        etag: expect.stringMatching(/^"[A-Za-z0-9_-]{27}"$/),
        'last-modified': expect.stringMatching(/ GMT$/),
        'x-content-type-options': 'nosniff',
        'request-id': expect.any(String),
      });
    },
  );

  it('should answer 304 with no body to a matching If-None-Match (also weak, listed or *)', async () => {
    const first = await rawRequest(context(), '/storage/images/cover/sample.png');
    const tag = first.headers.etag!;
    for (const ifNoneMatch of [tag, `W/${tag}`, `"other", ${tag}`, '*']) {
      const answer = await rawRequest(context(), '/storage/images/cover/sample.png', {
        headers: { 'If-None-Match': ifNoneMatch },
      });
      expect(answer.status).toBe(304);
      expect(answer.body.length).toBe(0);
      expect(answer.headers.etag).toBe(tag);
      expect(answer.headers['cache-control']).toBe(CACHE_CONTROL);
    }
    const stale = await rawRequest(context(), '/storage/images/cover/sample.png', {
      headers: { 'If-None-Match': '"not-the-tag"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(pngFile())).toBe(true);
  });

  it('should give a replaced file a new ETag, so an old copy is no longer current', async () => {
    const put = (content: Buffer) =>
      storage.put('grill/replaced.png', Readable.from([content]), {
        maxBytes: 1024 * 1024,
        contentType: 'image/png',
      });
    await put(pngFile(8, 8));
    const before = await rawRequest(context(), '/storage/images/grill/replaced.png');
    await put(pngFile(9, 9));
    const after = await rawRequest(context(), '/storage/images/grill/replaced.png', {
      headers: { 'If-None-Match': before.headers.etag! },
    });
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.body.equals(pngFile(9, 9))).toBe(true);
  });

  it('should answer HEAD with the headers and no body', async () => {
    const answer = await rawRequest(context(), '/storage/images/cover/sample.gif', {
      method: 'HEAD',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('image/gif');
    expect(answer.body.length).toBe(0);
  });

  it('should serve a stored file that is not an image as application/octet-stream', async () => {
    await storage.put('cover/notes.png', Readable.from([TEXT_FILE]), {
      maxBytes: 1024,
      contentType: 'application/octet-stream',
    });
    const answer = await rawRequest(context(), '/storage/images/cover/notes.png');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('should ignore a query string and decode percent-encoded names', async () => {
    await storage.put('grill/名前 1.png', Readable.from([pngFile()]), {
      maxBytes: 1024,
      contentType: 'image/png',
    });
    const answer = await rawRequest(
      context(),
      `/storage/images/${encodeURIComponent('grill')}/${encodeURIComponent('名前 1.png')}?v=2`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.equals(pngFile())).toBe(true);
  });

  it('should serve a file asked for by an absolute-form target, as the API routes are', async () => {
    await storage.put('grill/absolute.png', Readable.from([pngFile()]), {
      maxBytes: 1024,
      contentType: 'image/png',
    });
    const { port } = context().app.getHttpServer().address() as AddressInfo;
    const answer = await rawRequest(
      context(),
      `http://127.0.0.1:${port}/storage/images/grill/absolute.png`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.equals(pngFile())).toBe(true);
  });

  it.each([
    '/storage/images/cover/missing.png',
    '/storage/images/cover',
    '/storage/images/cover/',
    '/storage/images/',
    '/storage/images',
    '/storage/images/cover/sample.png/',
  ])('should answer 404 in the contract shape for %s', async (path) => {
    const answer = await rawRequest(context(), path);
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(json(answer)).toEqual(NOT_FOUND);
  });

  it.each([
    '/storage/images/..%2f..%2fetc/passwd',
    '/storage/images/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    '/storage/images/../../etc/passwd',
    '/storage/images/cover/../../../etc/passwd',
    '/storage/images/%2e%2e/%2e%2e/etc/passwd',
    '/storage/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/storage/images/%252e%252e/%252e%252e/etc/passwd',
    '/storage/images/..\\..\\etc\\passwd',
    '/storage/images/..%5c..%5cetc%5cpasswd',
    '/storage/images/cover/sample.png%00.txt',
    '/storage/images/%00',
    '/storage/images//etc/passwd',
    '/storage/images/linked.png',
    '/storage/images/linked-folder/secret.png',
    '/storage/images/.uploads/anything.part',
    '/storage/images/%2e%2fcover/sample.png',
  ])('should not leave the folder through %s (404)', async (path) => {
    const answer = await rawRequest(context(), path);
    expect(answer.status).toBe(404);
    expect(json(answer)).toEqual(NOT_FOUND);
    expect(answer.body.toString('utf8')).not.toContain('root:');
  });
});

describe('stored files with the S3 driver', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp('sqlite', {
      env: {
        STORAGE_DRIVER: 's3',
        S3_BUCKET: 'image-api-never-called',
        S3_ENDPOINT: 'http://127.0.0.1:35199',
      },
    });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('should not serve /storage/images at all (the bucket or a CDN serves the files)', async () => {
    const answer = await testApp.http().get('/storage/images/cover/sample.png');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(NOT_FOUND);
  });
});
