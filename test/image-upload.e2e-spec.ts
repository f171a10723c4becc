import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Permission } from '../src/auth/permissions';
import { ImageFileCleanup, STORAGE_DELETIONS_TABLE } from '../src/image/image-file-cleanup';
import { fileTooLargeMessage, UPLOAD_MESSAGES } from '../src/image/image-upload.reader';
import { IMAGE_FILES, pngFile, TEXT_FILE } from '../src/storage/testing/image-files';
import { type FormPart, multipartForm } from '../src/storage/testing/multipart-form';
import { countRows, readImageRow } from './helpers/image-rows';
import { describeEachDatabase, type TestApp } from './helpers/test-app';
import { waitFor } from './helpers/wait-for';
import { signTestToken, tokenWith } from './helpers/tokens';

const MAX_BYTES = 64 * 1024;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const FACET_NAMES = ['Small Cover', 'Cover', 'Grill'];
const FACET_MESSAGE = 'The facet field must be one of: Small Cover, Cover, Grill (or 0, 1, 2).';

/** Every file under `dir`, relative and sorted (the driver's `.uploads` work folder included). */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    )
    .sort();
}

function upload(
  testApp: TestApp,
  parts: readonly FormPart[],
  token: string | null = signTestToken(),
) {
  const { body, contentType } = multipartForm(parts);
  const request = testApp.http().post('/api/image').set('Content-Type', contentType);
  if (token !== null) request.set('Authorization', `Bearer ${token}`);
  return request.send(body);
}

/** An image created by uploading a small PNG. */
async function uploadedImage(
  testApp: TestApp,
  facet: string,
): Promise<{ image_id: number; path: string }> {
  const answer = await upload(testApp, [
    { name: 'facet', value: facet },
    { name: 'file', content: pngFile() },
  ]);
  expect(answer.status).toBe(201);
  return (answer.body as { image: { image_id: number; path: string } }).image;
}

const pendingDeletions = (testApp: TestApp) =>
  testApp.dataSource.query<{ path: string }[]>(`SELECT path FROM ${STORAGE_DELETIONS_TABLE}`);

/**
 * `POST /api/image` with `multipart/form-data` (API.md section 12), end to end on each database:
 * what is answered, which row is written, which file is stored and served, and that every refused
 * upload leaves neither a row nor a file.
 */
describeEachDatabase(
  'image uploads: POST /api/image with a file',
  (context) => {
    const storageDir = () => context().config.storage.directory;
    const storedFiles = () => filesUnder(storageDir());
    const imageCount = () => countRows(context().dataSource, 'images');

    it.each(IMAGE_FILES)(
      'should create an image from a $name file: 201, Location, the row, the file, and its link path served',
      async ({ content, extension, contentType }) => {
        const before = storedFiles();
        const answer = await upload(context(), [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: content(), filename: 'upload.bin', contentType: 'text/plain' },
        ]);
        expect(answer.status).toBe(201);
        const image = (answer.body as { image: { image_id: number; path: string } }).image;
        expect(image.path).toMatch(new RegExp(`^cover/[A-Za-z0-9]{40}\\.${extension}$`));
        expect(answer.body).toEqual({
          image: {
            image_id: image.image_id,
            path: image.path,
            facet: 'Cover',
            link: `https://animethemes.moe/storage/images/${image.path}`,
            created_at: expect.stringMatching(TIMESTAMP),
            updated_at: expect.stringMatching(TIMESTAMP),
          },
        });
        expect(answer.headers.location).toMatch(new RegExp(`/api/image/${image.image_id}$`));
        expect(
          await context().dataSource.query(
            'SELECT path, facet, deleted_at FROM images WHERE image_id = ?',
            [image.image_id],
          ),
        ).toEqual([{ path: image.path, facet: 1, deleted_at: null }]);
        expect(storedFiles()).toEqual([...before, image.path].sort());
        expect(readFileSync(join(storageDir(), image.path)).equals(content())).toBe(true);
        const served = await context().http().get(`/storage/images/${image.path}`).buffer(true);
        expect(served.status).toBe(200);
        expect(served.headers['content-type']).toBe(contentType);
        expect((served.body as Buffer).equals(content())).toBe(true);
      },
    );

    it('should take the facet after the file, by name or number, in its folder', async () => {
      for (const [value, facet, folder] of [
        ['0', 0, 'small-cover'],
        ['grill', 2, 'grill'],
        ['Large Cover', 1, 'cover'],
      ] as const) {
        const answer = await upload(context(), [
          { name: 'file', content: pngFile() },
          { name: 'facet', value },
        ]);
        expect(answer.status).toBe(201);
        const image = (answer.body as { image: { path: string; facet: string } }).image;
        expect(image.facet).toBe(FACET_NAMES[facet]);
        expect(image.path).toMatch(new RegExp(`^${folder}/[A-Za-z0-9]{40}\\.png$`));
      }
    });

    it.each<[string, FormPart[], Record<string, string[]>]>([
      [
        'a text file renamed .png',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: TEXT_FILE, filename: 'cover.png', contentType: 'image/png' },
        ],
        { file: [UPLOAD_MESSAGES.notAnImage] },
      ],
      [
        'a missing file',
        [{ name: 'facet', value: 'Cover' }],
        { file: [UPLOAD_MESSAGES.fileRequired] },
      ],
      [
        'a missing facet',
        [{ name: 'file', content: pngFile() }],
        { facet: [UPLOAD_MESSAGES.facetRequired] },
      ],
      [
        'a facet given twice (which one was meant?)',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
          { name: 'facet', value: 'Grill' },
        ],
        { facet: [UPLOAD_MESSAGES.facetOnce] },
      ],
      [
        'a path field',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'path', value: 'anime/chosen.png' },
          { name: 'file', content: pngFile() },
        ],
        { path: [UPLOAD_MESSAGES.pathNotAccepted] },
      ],
      [
        'a path sent as a file part',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'path', content: pngFile(), filename: 'chosen.png' },
          { name: 'file', content: pngFile() },
        ],
        { path: [UPLOAD_MESSAGES.pathNotAccepted] },
      ],
      // Found by a black-box probe: names every object inherits were taken for facets (500).
      ...['constructor', '__proto__', 'toString', 'hasOwnProperty'].map(
        (name): [string, FormPart[], Record<string, string[]>] => [
          `the facet ${name}`,
          [
            { name: 'facet', value: name },
            { name: 'file', content: pngFile() },
          ],
          { facet: [FACET_MESSAGE] },
        ],
      ),
      [
        'a facet sent as a file part',
        [
          { name: 'facet', content: Buffer.from('Cover'), contentType: 'text/plain' },
          { name: 'file', content: pngFile() },
        ],
        { facet: [FACET_MESSAGE] },
      ],
      // Found by a black-box probe: a text field named file was ignored beside the file part.
      [
        'a file field as text before the file part',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', value: 'hello' },
          { name: 'file', content: pngFile() },
        ],
        { file: [UPLOAD_MESSAGES.oneFile] },
      ],
      [
        'a file field as text after the stored file',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
          { name: 'file', value: 'hello' },
        ],
        { file: [UPLOAD_MESSAGES.oneFile] },
      ],
      [
        'two file parts',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
          { name: 'file', content: pngFile(9, 9) },
        ],
        { file: [UPLOAD_MESSAGES.oneFile] },
      ],
    ])('should answer 422 to %s, with no row and no file', async (_what, parts, errors) => {
      const [rowsBefore, filesBefore] = [await imageCount(), storedFiles()];
      const answer = await upload(context(), parts);
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual({ message: Object.values(errors)[0][0], errors });
      expect(await imageCount()).toBe(rowsBefore);
      expect(storedFiles()).toEqual(filesBefore);
    });

    it('should ignore file parts under other names: 201, only the file stored', async () => {
      for (const [parts, facet] of [
        [
          [
            { name: 'thumbnail', content: pngFile(9, 9) },
            { name: 'facet', value: 'Cover' },
            { name: 'file', content: pngFile() },
          ],
          1,
        ],
        [
          [
            { name: 'file', content: pngFile() },
            { name: 'notes', content: TEXT_FILE, contentType: 'text/plain' },
            { name: 'facet', value: 'Grill' },
            { name: 'thumbnail', content: pngFile(9, 9) },
          ],
          2,
        ],
      ] as [FormPart[], number][]) {
        const filesBefore = storedFiles();
        const answer = await upload(context(), parts);
        expect(answer.status).toBe(201);
        const image = (answer.body as { image: { image_id: number; path: string } }).image;
        expect(
          await context().dataSource.query('SELECT path, facet FROM images WHERE image_id = ?', [
            image.image_id,
          ]),
        ).toEqual([{ path: image.path, facet }]);
        expect(storedFiles()).toEqual([...filesBefore, image.path].sort());
        expect(readFileSync(join(storageDir(), image.path)).equals(pngFile())).toBe(true);
      }
    });

    it.each<[string, FormPart[], Record<string, string>]>([
      [
        'an ignored file part over UPLOAD_MAX_BYTES',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
          { name: 'thumbnail', content: pngFile(200, 200, 0) },
        ],
        { message: fileTooLargeMessage(MAX_BYTES) },
      ],
      [
        'more than 21 parts, most of them ignored files',
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
          ...Array.from({ length: 20 }, (_, index) => ({
            name: `extra${index}`,
            content: pngFile(9, 9),
          })),
        ],
        { message: UPLOAD_MESSAGES.tooManyParts },
      ],
    ])('should answer 413 to %s, with no row and no file left', async (_what, parts, body) => {
      const [rowsBefore, filesBefore] = [await imageCount(), storedFiles()];
      const answer = await upload(context(), parts);
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual(body);
      expect(answer.headers.connection).toBe('close');
      expect(await imageCount()).toBe(rowsBefore);
      expect(storedFiles()).toEqual(filesBefore);
    });

    it('should answer 413 to a file over UPLOAD_MAX_BYTES, with no row and no file left', async () => {
      const [rowsBefore, filesBefore] = [await imageCount(), storedFiles()];
      const answer = await upload(context(), [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile(200, 200, 0) },
      ]);
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ message: fileTooLargeMessage(MAX_BYTES) });
      expect(answer.headers.connection).toBe('close');
      expect(await imageCount()).toBe(rowsBefore);
      expect(storedFiles()).toEqual(filesBefore);
    });

    it.each<[string, number, string | null, Record<string, string>]>([
      ['no token', 401, null, { message: 'Unauthenticated.' }],
      [
        'a token without create image',
        403,
        tokenWith(Permission.UpdateImage),
        { message: 'This action is unauthorized.' },
      ],
    ])(
      'should answer %s with %d before judging the form (even a text file), storing nothing',
      async (_what, status, token, body) => {
        const [rowsBefore, filesBefore] = [await imageCount(), storedFiles()];
        for (const parts of [
          [
            { name: 'facet', value: 'Cover' },
            { name: 'file', content: TEXT_FILE },
          ],
          [
            { name: 'facet', value: 'Cover' },
            { name: 'file', content: pngFile() },
          ],
        ] as FormPart[][]) {
          const answer = await upload(context(), parts, token);
          expect(answer.status).toBe(status);
          expect(answer.body).toEqual(body);
        }
        expect(await imageCount()).toBe(rowsBefore);
        expect(storedFiles()).toEqual(filesBefore);
      },
    );

    it('should keep JSON creates as they were: the given path, no file stored', async () => {
      const filesBefore = storedFiles();
      const answer = await context()
        .http()
        .post('/api/image')
        .set('Authorization', `Bearer ${signTestToken()}`)
        .send({ path: 'anime/json/cover.jpg', facet: 'Cover' });
      expect(answer.status).toBe(201);
      expect((answer.body as { image: { path: string } }).image.path).toBe('anime/json/cover.jpg');
      expect(storedFiles()).toEqual(filesBefore);
    });

    it('should refuse a multipart body on PUT and PATCH with 415', async () => {
      const { body, contentType } = multipartForm([{ name: 'facet', value: 'Grill' }]);
      const [row] = await context().dataSource.query<{ image_id: number }[]>(
        'SELECT image_id FROM images ORDER BY image_id LIMIT 1',
      );
      for (const method of ['put', 'patch'] as const) {
        const answer = await context()
          .http()
          [method](`/api/image/${row.image_id}`)
          .set('Authorization', `Bearer ${signTestToken()}`)
          .set('Content-Type', contentType)
          .send(body);
        expect(answer.status).toBe(415);
        expect(answer.body).toEqual({
          message: 'Unsupported Media Type: send the body as application/json.',
        });
      }
    });

    // Found by a black-box probe: these routes take no body, and ran the write with a multipart one
    // (even garbage, or without a boundary), where any other body that is not JSON is a 415.
    it.each([
      ['delete', '/api/image/%d'],
      ['patch', '/api/restore/image/%d'],
      ['patch', '/restore/image/%d'],
      ['delete', '/api/forceDelete/image/%d'],
      ['delete', '/forceDelete/image/%d'],
    ] as const)(
      'should refuse a multipart body on %s %s with 415, and write nothing',
      async (method, route) => {
        const [row] = await context().dataSource.query<{ image_id: number }[]>(
          'SELECT image_id FROM images WHERE deleted_at IS NULL ORDER BY image_id LIMIT 1',
        );
        const before = await readImageRow(context().dataSource, row.image_id);
        for (const contentType of ['multipart/form-data; boundary=b', 'multipart/form-data']) {
          const answer = await context()
            .http()
            [method](route.replace('%d', String(row.image_id)))
            .set('Authorization', `Bearer ${signTestToken()}`)
            .set('Content-Type', contentType)
            .send('garbage');
          expect({ status: answer.status, body: answer.body as unknown }).toEqual({
            status: 415,
            body: { message: 'Unsupported Media Type: send the body as application/json.' },
          });
        }
        expect(await readImageRow(context().dataSource, row.image_id)).toEqual(before);
      },
    );

    it('should keep the file of a soft-deleted image, and still serve it after a restore', async () => {
      const created = await upload(context(), [
        { name: 'facet', value: 'Grill' },
        { name: 'file', content: pngFile(12, 12) },
      ]);
      const image = (created.body as { image: { image_id: number; path: string } }).image;
      const auth = `Bearer ${signTestToken()}`;
      await context()
        .http()
        .delete(`/api/image/${image.image_id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(storedFiles()).toContain(image.path);
      await context().http().get(`/storage/images/${image.path}`).expect(200);
      await context()
        .http()
        .patch(`/api/restore/image/${image.image_id}`)
        .set('Authorization', auth)
        .expect(200);
      // Nothing was scheduled for removal: a pass of the clean-up worker leaves the file.
      await context().app.get(ImageFileCleanup).wake();
      expect(await pendingDeletions(context())).toEqual([]);
      expect(readFileSync(join(storageDir(), image.path)).equals(pngFile(12, 12))).toBe(true);
    });

    it('should remove the stored file once a force delete has committed', async () => {
      const image = await uploadedImage(context(), 'Cover');
      expect(storedFiles()).toContain(image.path);
      const answer = await context()
        .http()
        .delete(`/api/forceDelete/image/${image.image_id}`)
        .set('Authorization', `Bearer ${signTestToken()}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ message: `Image '${image.path}' was deleted.` });
      expect(
        await context().dataSource.query('SELECT image_id FROM images WHERE image_id = ?', [
          image.image_id,
        ]),
      ).toEqual([]);
      await waitFor('the file to go', () => !storedFiles().includes(image.path));
      await waitFor(
        'the storage_deletions row to go',
        async () => (await pendingDeletions(context())).length === 0,
      );
      await context().http().get(`/storage/images/${image.path}`).expect(404);
    });

    it('should keep the file, and schedule nothing, when a force delete rolls back', async () => {
      const image = await uploadedImage(context(), 'Grill');
      const database = context().dataSource;
      // The domain event is written after the file is scheduled: refusing it rolls both back.
      await database.query(
        database.options.type === 'mysql'
          ? "CREATE TRIGGER refuse_events BEFORE INSERT ON image_event_outbox FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'"
          : "CREATE TRIGGER refuse_events BEFORE INSERT ON image_event_outbox BEGIN SELECT RAISE(ABORT, 'refused'); END",
      );
      try {
        await context()
          .http()
          .delete(`/api/forceDelete/image/${image.image_id}`)
          .set('Authorization', `Bearer ${signTestToken()}`)
          .expect(500);
      } finally {
        await database.query('DROP TRIGGER refuse_events');
      }
      await context().app.get(ImageFileCleanup).wake();
      expect(await pendingDeletions(context())).toEqual([]);
      expect(
        await database.query('SELECT path FROM images WHERE image_id = ?', [image.image_id]),
      ).toEqual([{ path: image.path }]);
      expect(storedFiles()).toContain(image.path);
    });

    it('should remove the stored file when the insert fails', async () => {
      const database = context().dataSource;
      const isMysql = database.options.type === 'mysql';
      await database.query(
        isMysql
          ? "CREATE TRIGGER refuse_images BEFORE INSERT ON images FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'"
          : "CREATE TRIGGER refuse_images BEFORE INSERT ON images BEGIN SELECT RAISE(ABORT, 'refused'); END",
      );
      try {
        const [rowsBefore, filesBefore] = [await imageCount(), storedFiles()];
        const answer = await upload(context(), [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
        ]);
        expect(answer.status).toBe(500);
        expect(answer.body).toEqual({ message: 'Server Error.' });
        expect(await imageCount()).toBe(rowsBefore);
        expect(storedFiles()).toEqual(filesBefore);
      } finally {
        await database.query('DROP TRIGGER refuse_images');
      }
    });
  },
  { env: { UPLOAD_MAX_BYTES: String(MAX_BYTES) } },
);
