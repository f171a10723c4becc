import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../common/api-error';
import { LocalStorageDriver } from '../storage';
import { IMAGE_FILES, pngFile, TEXT_FILE } from '../storage/testing/image-files';
import { FormPart, multipartForm } from '../storage/testing/multipart-form';
import { fileTooLargeMessage, receiveImageUpload, UPLOAD_MESSAGES } from './image-upload.reader';

const MAX_BYTES = 64 * 1024;
const FACET_MESSAGE = 'The facet field must be one of: Small Cover, Cover, Grill (or 0, 1, 2).';

/** Every file under `dir`, relative, sorted (the `.uploads` work folder included). */
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

/**
 * The multipart reader on a bare Fastify with `@fastify/multipart` and the local driver in a
 * temporary folder: what it stores, where, and that every refused form leaves nothing behind
 * (neither in the store nor in the spool folder).
 */
describe('receiveImageUpload', () => {
  let base: string;
  let root: string;
  let spool: string;
  let server: FastifyInstance;

  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'image-api-upload-'));
    root = join(base, 'images');
    spool = join(base, 'spool');
    mkdirSync(spool);
    const storage = new LocalStorageDriver(root);
    server = Fastify();
    await server.register(multipart);
    server.post('/upload', async (request, reply) => {
      try {
        const { facet, path, file } = await receiveImageUpload(request, storage, MAX_BYTES, spool);
        return { facet, path, size: file.size, contentType: file.contentType };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return reply.status(error.getStatus()).send(error.getResponse());
      }
    });
  });

  afterEach(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });

  async function upload(parts: readonly FormPart[]) {
    const { body, contentType } = multipartForm(parts);
    const response = await server.inject({
      method: 'POST',
      url: '/upload',
      payload: body,
      headers: { 'content-type': contentType },
    });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  }

  it.each(IMAGE_FILES)(
    'should store a $name file under <facet>/<40 letters and digits>.<extension>, facet first',
    async ({ content, extension, contentType }) => {
      const answer = await upload([
        { name: 'facet', value: 'Grill' },
        { name: 'file', content: content(), filename: 'whatever.txt', contentType: 'text/plain' },
      ]);
      expect(answer).toEqual({
        status: 200,
        body: {
          facet: 2,
          path: expect.stringMatching(new RegExp(`^grill/[A-Za-z0-9]{40}\\.${extension}$`)),
          size: content().length,
          contentType,
        },
      });
      const path = answer.body.path as string;
      expect(filesUnder(root)).toEqual([path]);
      expect(readFileSync(join(root, path)).equals(content())).toBe(true);
      expect(filesUnder(spool)).toEqual([]);
    },
  );

  it.each([
    ['Small Cover', 0, 'small-cover'],
    ['large cover', 1, 'cover'],
    ['1', 1, 'cover'],
    ['2', 2, 'grill'],
  ])(
    'should store a file sent before its facet (%s), through the spool folder',
    async (value, facet, folder) => {
      const answer = await upload([
        { name: 'file', content: pngFile() },
        { name: 'facet', value },
      ]);
      expect(answer.status).toBe(200);
      expect(answer.body.facet).toBe(facet);
      expect(answer.body.path).toMatch(new RegExp(`^${folder}/[A-Za-z0-9]{40}\\.png$`));
      expect(filesUnder(root)).toEqual([answer.body.path]);
      expect(filesUnder(spool)).toEqual([]);
    },
  );

  it('should ignore fields it does not know, as JSON creates ignore unknown keys', async () => {
    const answer = await upload([
      { name: 'title', value: 'ignored' },
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: pngFile() },
      { name: 'other', value: 'ignored too' },
    ]);
    expect(answer.status).toBe(200);
  });

  const thumbnail: FormPart = { name: 'thumbnail', content: pngFile(9, 9) };
  const facetPart: FormPart = { name: 'facet', value: 'Cover' };
  const filePart: FormPart = { name: 'file', content: pngFile() };
  it.each<[string, FormPart[]]>([
    ['first, the file spooled', [thumbnail, filePart, facetPart]],
    ['between the file and its facet', [filePart, thumbnail, facetPart]],
    ['last, the file streamed', [facetPart, filePart, thumbnail]],
  ])(
    'should drain a file part under another name, %s, and store only the file',
    async (_what, parts) => {
      const answer = await upload(parts);
      expect(answer.status).toBe(200);
      expect(answer.body.size).toBe(pngFile().length);
      expect(filesUnder(root)).toEqual([answer.body.path]);
      expect(readFileSync(join(root, answer.body.path as string)).equals(pngFile())).toBe(true);
      expect(filesUnder(spool)).toEqual([]);
    },
  );

  it.each<[string, FormPart[], Record<string, string[]>]>([
    [
      'a text file named .png',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: TEXT_FILE, filename: 'cover.png', contentType: 'image/png' },
      ],
      { file: [UPLOAD_MESSAGES.notAnImage] },
    ],
    ['no file', [{ name: 'facet', value: 'Cover' }], { file: [UPLOAD_MESSAGES.fileRequired] }],
    [
      'no facet',
      [{ name: 'file', content: pngFile() }],
      { facet: [UPLOAD_MESSAGES.facetRequired] },
    ],
    [
      'neither',
      [{ name: 'title', value: 'x' }],
      { file: [UPLOAD_MESSAGES.fileRequired], facet: [UPLOAD_MESSAGES.facetRequired] },
    ],
    [
      'a bad facet before the file',
      [
        { name: 'facet', value: 'Poster' },
        { name: 'file', content: pngFile() },
      ],
      { facet: [FACET_MESSAGE] },
    ],
    [
      'a bad facet after a text file',
      [
        { name: 'file', content: TEXT_FILE },
        { name: 'facet', value: '3' },
      ],
      { file: [UPLOAD_MESSAGES.notAnImage], facet: [FACET_MESSAGE] },
    ],
    [
      'a path',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'path', value: 'anime/mine.png' },
        { name: 'file', content: pngFile() },
      ],
      { path: [UPLOAD_MESSAGES.pathNotAccepted] },
    ],
    [
      'a path after the stored file',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
        { name: 'path', value: 'anime/mine.png' },
      ],
      { path: [UPLOAD_MESSAGES.pathNotAccepted] },
    ],
    [
      'two files',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
        { name: 'file', content: pngFile(9, 9) },
      ],
      { file: [UPLOAD_MESSAGES.oneFile] },
    ],
    [
      'a path sent as a file part',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'path', content: pngFile(), filename: 'mine.png' },
        { name: 'file', content: pngFile() },
      ],
      { path: [UPLOAD_MESSAGES.pathNotAccepted] },
    ],
    [
      'a path sent as a file part after the stored file',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
        { name: 'path', content: TEXT_FILE, contentType: 'text/plain' },
      ],
      { path: [UPLOAD_MESSAGES.pathNotAccepted] },
    ],
    [
      'a facet sent as a file part',
      [
        { name: 'facet', content: Buffer.from('Cover'), contentType: 'text/plain' },
        { name: 'file', content: pngFile() },
      ],
      { facet: [FACET_MESSAGE] },
    ],
    [
      'a facet sent as a file part and as a field',
      [
        { name: 'file', content: pngFile() },
        { name: 'facet', content: Buffer.from('Cover'), contentType: 'text/plain' },
        { name: 'facet', value: 'Cover' },
      ],
      { facet: [UPLOAD_MESSAGES.facetOnce] },
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
      'two files and a path',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
        { name: 'file', content: pngFile(9, 9) },
        { name: 'path', value: 'anime/mine.png' },
      ],
      { file: [UPLOAD_MESSAGES.oneFile], path: [UPLOAD_MESSAGES.pathNotAccepted] },
    ],
    [
      'an empty file',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: Buffer.alloc(0) },
      ],
      { file: [UPLOAD_MESSAGES.notAnImage] },
    ],
  ])('should answer 422 to %s, and store nothing', async (_what, parts, errors) => {
    const answer = await upload(parts);
    expect(answer).toEqual({
      status: 422,
      body: { message: Object.values(errors)[0][0], errors },
    });
    expect(filesUnder(root)).toEqual([]);
    expect(filesUnder(spool)).toEqual([]);
  });

  it.each([
    ['facet first (streamed to the store)', true],
    ['file first (spooled)', false],
  ])(
    'should answer 413 to a file one byte over the limit, %s, and leave no file',
    async (_what, facetFirst) => {
      const big = pngFile(200, 200, 0).subarray(0, MAX_BYTES + 1);
      const file: FormPart = { name: 'file', content: big };
      const facet: FormPart = { name: 'facet', value: 'Cover' };
      const answer = await upload(facetFirst ? [facet, file] : [file, facet]);
      expect(answer).toEqual({ status: 413, body: { message: fileTooLargeMessage(MAX_BYTES) } });
      expect(filesUnder(root)).toEqual([]);
      expect(filesUnder(spool)).toEqual([]);
    },
  );

  it.each<[string, FormPart[], string]>([
    [
      'an ignored file part one byte over the limit',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
        { name: 'thumbnail', content: pngFile(200, 200, 0).subarray(0, MAX_BYTES + 1) },
      ],
      fileTooLargeMessage(MAX_BYTES),
    ],
    [
      'a second file one byte over the limit',
      [
        { name: 'file', content: pngFile() },
        { name: 'file', content: pngFile(200, 200, 0).subarray(0, MAX_BYTES + 1) },
        { name: 'facet', value: 'Cover' },
      ],
      fileTooLargeMessage(MAX_BYTES),
    ],
    [
      'a 22nd part (a file and 21 ignored ones)',
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
        ...Array.from({ length: 20 }, (_, index) => ({
          name: `extra${index}`,
          content: pngFile(),
        })),
      ],
      UPLOAD_MESSAGES.tooManyParts,
    ],
  ])('should answer 413 to %s, and leave no file', async (_what, parts, message) => {
    const answer = await upload(parts);
    expect(answer).toEqual({ status: 413, body: { message } });
    expect(filesUnder(root)).toEqual([]);
    expect(filesUnder(spool)).toEqual([]);
  });

  it('should take 21 parts: a file, its facet and 19 ignored files', async () => {
    const answer = await upload([
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: pngFile() },
      ...Array.from({ length: 19 }, (_, index) => ({ name: `extra${index}`, content: pngFile() })),
    ]);
    expect(answer.status).toBe(200);
    expect(filesUnder(root)).toEqual([answer.body.path]);
  });

  it('should take a file of exactly the limit', async () => {
    const exact = pngFile(200, 200, 0).subarray(0, MAX_BYTES);
    const answer = await upload([
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: exact },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.size).toBe(MAX_BYTES);
  });

  // Found by a black-box probe: busboy threw a plain Error for a boundary over 252 characters (500).
  it.each([
    ['71 characters', 'b'.repeat(71), (b: string) => b],
    ['253 characters', 'b'.repeat(253), (b: string) => b],
    ['71 characters, quoted', 'b'.repeat(71), (b: string) => `"${b}"`],
  ])(
    'should answer 400 to a boundary of %s (RFC 2046 allows 70), and store nothing',
    async (_label, boundary, spell) => {
      const { body } = multipartForm(
        [
          { name: 'facet', value: 'Cover' },
          { name: 'file', content: pngFile() },
        ],
        boundary,
      );
      const response = await server.inject({
        method: 'POST',
        url: '/upload',
        payload: body,
        headers: { 'content-type': `multipart/form-data; boundary=${spell(boundary)}` },
      });
      expect({ status: response.statusCode, body: response.json() }).toEqual({
        status: 400,
        body: { message: UPLOAD_MESSAGES.malformed },
      });
      expect(filesUnder(root)).toEqual([]);
      expect(filesUnder(spool)).toEqual([]);
    },
  );

  // Found by a probe: a store that cannot take the file answered "Malformed multipart body."
  // (the error named its `.part` file): the service's fault, not the form's.
  it('should let a failure of the store through, not call the form malformed', async () => {
    mkdirSync(root);
    writeFileSync(join(root, '.uploads'), 'not a folder');
    const answer = await upload([
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: pngFile() },
    ]);
    expect(answer.status).toBe(500);
    expect(filesUnder(spool)).toEqual([]);
  });

  // Found by a probe: these answered "Malformed multipart body.", though the form was well made.
  it.each([
    ['a field', '__proto__', { name: '__proto__', value: '1' }],
    ['a field', 'constructor', { name: 'constructor', value: '1' }],
    ['a field', 'toString', { name: 'toString', value: 'x' }],
    ['a file', '__proto__', { name: '__proto__', content: pngFile() }],
  ])(
    'should answer 400 saying why to %s named %s, and store nothing',
    async (_what, _name, part) => {
      const answer = await upload([
        { name: 'facet', value: 'Cover' },
        part,
        { name: 'file', content: pngFile() },
      ]);
      expect(answer).toEqual({ status: 400, body: { message: UPLOAD_MESSAGES.reservedFieldName } });
      expect(filesUnder(root)).toEqual([]);
      expect(filesUnder(spool)).toEqual([]);
    },
  );

  it('should take a boundary of 70 characters, quoted or not', async () => {
    const boundary = 'b'.repeat(70);
    const { body } = multipartForm(
      [
        { name: 'facet', value: 'Cover' },
        { name: 'file', content: pngFile() },
      ],
      boundary,
    );
    for (const spelled of [boundary, `"${boundary}"`]) {
      const response = await server.inject({
        method: 'POST',
        url: '/upload',
        payload: body,
        headers: { 'content-type': `multipart/form-data; boundary=${spelled}` },
      });
      expect(response.statusCode).toBe(200);
    }
    expect(filesUnder(root)).toHaveLength(2);
  });

  it('should answer 400 to a body that is not a whole multipart form, and store nothing', async () => {
    const { body, contentType } = multipartForm([
      { name: 'facet', value: 'Cover' },
      { name: 'file', content: pngFile(100, 100, 0) },
    ]);
    const response = await server.inject({
      method: 'POST',
      url: '/upload',
      payload: body.subarray(0, body.length - 2000),
      headers: { 'content-type': contentType },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: UPLOAD_MESSAGES.malformed });
    expect(filesUnder(root)).toEqual([]);
    expect(filesUnder(spool)).toEqual([]);
  });
});
