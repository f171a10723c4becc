import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { runTokenCommand } from '../src/auth/token.command';
import { pngFile } from '../src/storage/testing/image-files';
import { IMAGES, imageJson, PUBLIC_URL, seedReadFixtures } from './helpers/fixtures';
import { stablePort } from './helpers/ports';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './helpers/test-app';

/** Debian's Chromium (`.ci/setup-extra` installs it); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Committed under docs/img and shown in docs/openapi.md: the answer, and the filled-in form. */
const SCREENSHOT = join(__dirname, '..', 'docs', 'img', 'swagger-ui.png');
const PARAMETERS_SCREENSHOT = join(__dirname, '..', 'docs', 'img', 'swagger-ui-parameters.png');
const STEP_TIMEOUT_MS = 15_000;
/** The first page load starts a cold browser on a machine the other test files keep busy. */
const FIRST_LOAD_TIMEOUT_MS = 45_000;

/**
 * A person's path through Swagger UI, in a real browser against the real app (SQLite, fixture
 * data, listening on 127.0.0.1): open /docs, authorize with a token from the token command, try
 * `GET /api/image` with `filter[facet]=Cover` and `page[size]=5`, then `POST /api/image`, attach and
 * detach an image to and from an anime, reading the answers the page shows. One database is enough here: the API itself is proven elsewhere.
 */
describe('Swagger UI in Chromium', () => {
  let testApp: TestApp;
  let baseUrl: string;
  /** Chosen before the app starts, so that IMAGE_BASE_URL can name it. */
  let imageBaseUrl: string;
  let userDataDir: string;
  let browser: BrowserContext;
  let page: Page;
  /** What Chromium reported against the page's Content-Security-Policy (API.md section 10). */
  const cspViolations: string[] = [];
  /** The page's requests still without an answer, named when a load times out. */
  const inFlight = new Set<string>();

  beforeAll(async () => {
    const port = await stablePort();
    imageBaseUrl = `http://127.0.0.1:${port}/storage/images`;
    testApp = await createTestApp('sqlite', { env: { PUBLIC_URL, IMAGE_BASE_URL: imageBaseUrl } });
    await seedReadFixtures(testApp.dataSource);
    await testApp.app.listen(port, '127.0.0.1');
    baseUrl = await testApp.app.getUrl();
    userDataDir = mkdtempSync(join(tmpdir(), 'image-api-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1100 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on('request', (request) => inFlight.add(request.url()));
    page.on('requestfinished', (request) => inFlight.delete(request.url()));
    page.on('requestfailed', (request) => inFlight.delete(request.url()));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    await testApp?.close();
  });

  /** Scrolls the page so that `locator` sits `margin` pixels below the top of the window. */
  async function scrollToTop(locator: Locator, margin: number): Promise<void> {
    await locator.evaluate((element, offset) => {
      element.ownerDocument.defaultView?.scrollBy(0, element.getBoundingClientRect().top - offset);
    }, margin);
  }

  async function saveScreenshot(path: string): Promise<void> {
    mkdirSync(join(path, '..'), { recursive: true });
    await page.screenshot({ path });
  }

  /** The operation's block, expanded, in "Try it out" mode. */
  async function tryItOut(operationId: string, tag = 'image'): Promise<Locator> {
    const block = page.locator(`#operations-${tag}-${operationId}`);
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    return block;
  }

  /** Executes the operation and returns the status and JSON body the page shows. */
  async function execute(block: Locator): Promise<{ status: number; body: unknown; url: string }> {
    await block.locator('button.execute').click();
    const live = block.locator('.live-responses-table .response');
    await live.locator('.response-col_status').waitFor();
    const status = Number((await live.locator('.response-col_status').innerText()).trim());
    const body = JSON.parse(
      await live.locator('.response-col_description pre').first().innerText(),
    );
    const url = (await block.locator('.request-url pre').innerText()).trim();
    return { status, body, url };
  }

  it('should open /docs with every image operation listed', async () => {
    const answer = await page
      .goto(`${baseUrl}/docs`, { timeout: FIRST_LOAD_TIMEOUT_MS })
      .catch((error: Error) => {
        throw new Error(
          `${error.message}\nstill loading: ${[...inFlight].join(', ') || 'nothing'}`,
        );
      });
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Image API');
    const operations = await page
      .locator('.opblock')
      .evaluateAll((blocks: { id: string }[]) => blocks.map((block) => block.id));
    expect(operations).toEqual([
      'operations-image-listImages',
      'operations-image-createImage',
      'operations-image-showImage',
      'operations-image-replaceImage',
      'operations-image-updateImage',
      'operations-image-deleteImage',
      'operations-image-restoreImage',
      'operations-image-forceDeleteImage',
      'operations-image-restoreImageUnprefixed',
      'operations-image-forceDeleteImageUnprefixed',
      ...['anime', 'artist', 'studio', 'playlist'].flatMap((parent) => {
        const name = `${parent.charAt(0).toUpperCase()}${parent.slice(1)}Image`;
        const tag = `operations-${parent}image`;
        return [
          `${tag}-list${name}s`,
          `${tag}-show${name}`,
          `${tag}-attach${name}`,
          ...(parent === 'artist' ? [`${tag}-update${name}`] : []),
          `${tag}-detach${name}`,
        ];
      }),
    ]);
  });

  it('should authorize with a bearer token from the token command', async () => {
    const command = runTokenCommand(['--sub', 'alice', '--all'], { JWT_SECRET: TEST_JWT_SECRET });
    expect(command.exitCode).toBe(0);
    const token = command.stdout.trim();
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input[type="text"]').fill(token);
    await dialog.locator('.auth-btn-wrapper button.authorize').click();
    await dialog.locator('.auth-btn-wrapper button.btn-done').click();
    await expect(page.locator('.scheme-container button.authorize.locked').count()).resolves.toBe(
      1,
    );
  });

  it('should try GET /api/image with filter[facet]=Cover and page[size]=5 and show the page of covers', async () => {
    const block = await tryItOut('listImages');
    await block.locator('tr[data-param-name="filter[facet]"] select').selectOption('Cover');
    await block.locator('tr[data-param-name="page[size]"] input').fill('5');
    await scrollToTop(block.locator('.opblock-section-header').first(), 10);
    await saveScreenshot(PARAMETERS_SCREENSHOT);
    const answer = await execute(block);

    const covers = IMAGES.filter((row) => row.facet === 1 && row.deleted_at === null);
    // Links repeat the request's spelling of the other parameters (API.md section 4, Leniency).
    const links = `${PUBLIC_URL}/api/image?page%5Bsize%5D=5&filter%5Bfacet%5D=Cover`;
    expect(answer.url).toBe(`${baseUrl}/api/image?page%5Bsize%5D=5&filter%5Bfacet%5D=Cover`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      images: covers.slice(0, 5).map((row) => ({
        ...imageJson(row.image_id),
        link: `${imageBaseUrl}/${row.path}`,
      })),
      links: {
        first: `${links}&page[number]=1`,
        last: null,
        prev: null,
        next: `${links}&page[number]=2`,
      },
      meta: {
        current_page: 1,
        from: 1,
        path: `${PUBLIC_URL}/api/image`,
        per_page: 5,
        to: 5,
      },
    });

    await scrollToTop(block.locator('.request-url'), 140);
    await saveScreenshot(SCREENSHOT);
  });

  // Found by a probe: without allowEmptyValue Swagger UI left out an empty page[cursor], so its
  // users could never start a keyset walk.
  it('should start a keyset walk from GET /api/image by sending page[cursor] empty', async () => {
    const block = page.locator('#operations-image-listImages');
    const cursor = block.locator('tr[data-param-name="page[cursor]"]');
    await cursor.locator('.parameter__empty_value_toggle input[type="checkbox"]').check();
    const answer = await execute(block);

    expect(answer.url).toBe(
      `${baseUrl}/api/image?page%5Bsize%5D=5&page%5Bcursor%5D=&filter%5Bfacet%5D=Cover`,
    );
    expect(answer.status).toBe(200);
    const body = answer.body as { images: unknown[]; links: Record<string, string | null> };
    expect(body.images).toHaveLength(5);
    expect(body.links.prev).toBeNull();
    expect(body.links.next).toMatch(/[?&]page\[cursor\]=[A-Za-z0-9_.-]+/);
  });

  it('should try POST /api/image with a body and show 201 and the created image, which is stored', async () => {
    const block = await tryItOut('createImage');
    await block
      .locator('textarea.body-param__text')
      .fill(JSON.stringify({ path: 'anime/swagger-ui/cover.jpg', facet: 'Cover' }));
    const answer = await execute(block);

    expect(answer.status).toBe(201);
    const created = (answer.body as { image: { image_id: number } }).image;
    expect(answer.body).toEqual({
      image: {
        image_id: created.image_id,
        path: 'anime/swagger-ui/cover.jpg',
        facet: 'Cover',
        link: `${imageBaseUrl}/anime/swagger-ui/cover.jpg`,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
        updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      },
    });
    const rows: unknown[] = await testApp.dataSource.query(
      'SELECT image_id, path, facet, deleted_at FROM images WHERE image_id = ?',
      [created.image_id],
    );
    expect(rows).toEqual([
      {
        image_id: created.image_id,
        path: 'anime/swagger-ui/cover.jpg',
        facet: 1,
        deleted_at: null,
      },
    ]);
  });

  it('should attach an image to an anime (201, the link, Location) and detach it (200), and the row follows', async () => {
    const links = () =>
      testApp.dataSource.query(
        'SELECT anime_id, image_id FROM anime_image WHERE anime_id = 3 AND image_id = 1',
      );
    expect(await links()).toEqual([]);

    const attach = await tryItOut('attachAnimeImage', 'animeimage');
    await attach.locator('tr[data-param-name="anime"] input').fill('trigun');
    await attach.locator('tr[data-param-name="image"] input').fill('1');
    const attached = await execute(attach);
    expect(attached.url).toBe(`${baseUrl}/api/animeimage/trigun/1`);
    expect(attached.status).toBe(201);
    expect(attached.body).toEqual({
      animeimage: {
        anime_id: 3,
        image_id: 1,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
        updated_at: (attached.body as { animeimage: { created_at: string } }).animeimage.created_at,
      },
    });
    expect(await links()).toEqual([{ anime_id: 3, image_id: 1 }]);

    const detach = await tryItOut('detachAnimeImage', 'animeimage');
    await detach.locator('tr[data-param-name="anime"] input').fill('trigun');
    await detach.locator('tr[data-param-name="image"] input').fill('1');
    const detached = await execute(detach);
    expect(detached.status).toBe(200);
    expect(detached.body).toEqual({
      message: "Image 'anime/cover/bebop.jpg' has been detached from Anime 'Trigun'.",
    });
    expect(await links()).toEqual([]);
  });

  it('should upload a real PNG as multipart/form-data, then open its link as a picture', async () => {
    const block = page.locator('#operations-image-createImage');
    await block.locator('.opblock-section-request-body select').selectOption('multipart/form-data');
    await block.locator('tr[data-property-name="facet"] select').selectOption('Grill');
    // The answer of the JSON create is still shown: clear it, so that the next one is read.
    await block.locator('button.btn-clear').click();
    await block.locator('.live-responses-table').waitFor({ state: 'detached' });
    const picture = pngFile(32, 24);
    await block
      .locator('tr[data-property-name="file"] input[type="file"]')
      .setInputFiles({ name: 'cover.png', mimeType: 'image/png', buffer: picture });
    const answer = await execute(block);

    expect(answer.status).toBe(201);
    const created = (answer.body as { image: { image_id: number; path: string; link: string } })
      .image;
    expect(created.path).toMatch(/^grill\/[A-Za-z0-9]{40}\.png$/);
    expect(answer.body).toEqual({
      image: {
        image_id: created.image_id,
        path: created.path,
        facet: 'Grill',
        link: `${imageBaseUrl}/${created.path}`,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
        updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      },
    });

    // The link, opened in the browser: the stored bytes, shown as a 32x24 picture.
    const opened = await page.goto(created.link);
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['content-type']).toBe('image/png');
    expect((await opened!.body()).equals(picture)).toBe(true);
    const size = await page.locator('img').evaluate((image) => {
      const { naturalWidth, naturalHeight } = image as unknown as {
        naturalWidth: number;
        naturalHeight: number;
      };
      return [naturalWidth, naturalHeight];
    });
    expect(size).toEqual([32, 24]);
  });

  it('should have done all of that under the Content-Security-Policy, with no violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
