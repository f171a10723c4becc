import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Permission } from '../src/auth/permissions';
import { seedReadFixtures } from './helpers/fixtures';
import { readImageRow } from './helpers/image-rows';
import { uniqueNatsNames } from './helpers/messaging';
import { OwnNatsServer } from './helpers/nats-server';
import { stablePort } from './helpers/ports';
import { describeEachDatabase } from './helpers/test-app';
import { tokenWith } from './helpers/tokens';

/**
 * The package as another team gets it: `npm pack` of packages/client (built from its sources into
 * a copy of the package, as its `prepack` does, so that the shared `dist/` the service and the
 * other test files load is never removed under them), the tarball installed into
 * a scratch project outside the repository (with `@types/node`, as any Node project has), a
 * consumer program type-checked there by `tsc --strict` with every other setting at its default,
 * then run against the service over NATS: reads, writes, errors and an event subscription,
 * compared with the HTTP answers and the database. The same `tsc` run proves that misspelt
 * filter keys, facets, includes, fields and sorts do not compile.
 */
const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const PACKAGE_DIR = join(ROOT, 'packages', 'client');
const FIXTURES = join(__dirname, 'client-package');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PUBLIC_URL = 'http://images.internal';
const { subjectPrefix, stream } = uniqueNatsNames();

interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

let scratch: string;
let packedFiles: string[];
let diagnostics: Diagnostic[];
/** A NATS server of this file's own (never the machine's shared one). */
let broker: OwnNatsServer;
/** The service's environment; its NATS_URL is the broker's, once that has started. */
const serviceEnv: Record<string, string> = {
  PUBLIC_URL,
  NATS_SUBJECT_PREFIX: subjectPrefix,
  NATS_EVENTS_STREAM: stream,
};

beforeAll(async () => {
  broker = new OwnNatsServer(await stablePort());
  await broker.start();
  serviceEnv.NATS_URL = broker.url;
});

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'image-api-client-consumer-'));
  const staged = join(scratch, 'package');
  mkdirSync(staged);
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    copyFileSync(join(PACKAGE_DIR, file), join(staged, file));
  }
  await run(process.execPath, [
    TSC,
    '-p',
    join(PACKAGE_DIR, 'tsconfig.build.json'),
    '--outDir',
    join(staged, 'dist'),
  ]);
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch],
    { cwd: staged },
  );
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  packedFiles = packed.files.map((file) => file.path).sort();

  const typesNode = JSON.parse(
    readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
  ) as { version: string };
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'image-api-consumer', version: '1.0.0', private: true }),
  );
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `./${packed.filename.replace(/^@/, '').replace('/', '-')}`,
      `@types/node@${typesNode.version}`,
    ],
    { cwd: scratch },
  );
  copyFileSync(join(FIXTURES, 'consumer-app.ts'), join(scratch, 'app.ts'));
  copyFileSync(join(FIXTURES, 'typos.fixture.ts'), join(scratch, 'typos.ts'));

  // One run for both files (it emits app.js despite the errors in typos.ts).
  const compiled = await run(process.execPath, [TSC, '--strict', 'app.ts', 'typos.ts'], {
    cwd: scratch,
  }).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
  diagnostics = [...compiled.matchAll(/^(\S+)\((\d+),\d+\): error (TS\d+: .*)$/gm)].map(
    ([, file, line, message]) => ({ file, line: Number(line), message }),
  );
}, 240_000);

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await broker?.dispose();
});

describe('the packed @image-api/client', () => {
  it('should ship the built JavaScript, its declarations, the README and the license, nothing else', () => {
    expect(packedFiles.filter((path) => !/^dist\/.*\.(js|d\.ts)$/.test(path))).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    expect(packedFiles).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/nest/index.d.ts']),
    );
    expect(packedFiles.filter((path) => path.includes('spec'))).toEqual([]);
  });

  it('should type-check a consumer program under tsc --strict with default settings', () => {
    expect(diagnostics.filter((diagnostic) => diagnostic.file !== 'typos.ts')).toEqual([]);
  });

  it('should refuse a misspelt filter key, facet, include, field or sort at compile time', () => {
    const lines = readFileSync(join(FIXTURES, 'typos.fixture.ts'), 'utf8').split('\n');
    const refused = lines
      .map((text, index) => ({ line: index + 1, word: /\/\/ refused: (.+)$/.exec(text)?.[1] }))
      .filter((entry): entry is { line: number; word: string } => entry.word !== undefined);
    expect(refused).toHaveLength(13);
    const typoErrors = diagnostics.filter((diagnostic) => diagnostic.file === 'typos.ts');
    expect(typoErrors.map((diagnostic) => diagnostic.line)).toEqual(
      refused.map((entry) => entry.line),
    );
    for (const { line, word } of refused) {
      const [diagnostic] = typoErrors.filter((candidate) => candidate.line === line);
      expect(diagnostic.message).toContain(word);
    }
  });
});

describeEachDatabase(
  'the packed client run against the service',
  (context) => {
    it('should read, write, fail and follow the events as HTTP and the database say', async () => {
      const { dataSource } = context();
      await seedReadFixtures(dataSource);
      const { stdout } = await run(process.execPath, ['app.js'], {
        cwd: scratch,
        env: {
          PATH: process.env.PATH,
          NATS_URL: broker.url,
          SUBJECT_PREFIX: subjectPrefix,
          STREAM: stream,
          TOKEN: tokenWith(Permission.CreateImage, Permission.UpdateImage, Permission.DeleteImage),
          DURABLE: `consumer_app_${context().database.kind}`,
        },
        timeout: 60_000,
      });
      const result = JSON.parse(stdout) as Record<string, unknown>;
      const http = (url: string) => context().http().get(url);

      expect(result.list).toEqual(
        (
          await http(
            '/api/image?filter[facet]=Cover,Grill&filter[created_at-gte]=2024-01-01T00:00:00.000Z&include=anime&sort=-created_at&page[size]=3',
          )
        ).body,
      );
      expect(result.show).toEqual(
        (await http('/api/image/1?include=artists&fields[image]=image_id,path&fields[artist]=name'))
          .body,
      );

      const created = result.created as { image: { image_id: number } };
      const id = created.image.image_id;
      const row = await readImageRow(dataSource, id);
      expect(row).toMatchObject({
        path: 'packed/new.jpg',
        facet: 2,
        deleted_at: expect.any(String),
      });
      const iso = (timestamp: string) => `${timestamp.replace(' ', 'T')}Z`;
      const image = {
        image_id: id,
        path: 'packed/new.jpg',
        facet: 'Cover',
        link: 'https://animethemes.moe/storage/images/packed/new.jpg',
        created_at: iso(row!.created_at),
        updated_at: expect.any(String),
      };
      expect(result.created).toEqual({ image });
      expect(result.updated).toEqual({ image: { ...image, facet: 'Grill' } });
      expect(result.deleted).toEqual({
        image: { ...image, facet: 'Grill', updated_at: iso(row!.updated_at) },
      });

      expect(result.errors).toEqual({
        missing: {
          name: 'ImageClientError',
          status: 404,
          body: { message: 'Image 987654321 not found.' },
          unavailable: false,
        },
        invalid: {
          name: 'ImageClientError',
          status: 422,
          body: (await http('/api/image?page[size]=101')).body,
          unavailable: false,
        },
        unauthenticated: {
          name: 'ImageClientError',
          status: 401,
          body: { message: 'Unauthenticated.' },
          unavailable: false,
        },
        unavailable: {
          name: 'ImageClientUnavailableError',
          status: 503,
          body: {
            message: `The Image API could not be reached: nobody serves ${subjectPrefix}nobody.image.list (NATS: no responders).`,
          },
          unavailable: true,
        },
      });

      const eventImage = { ...image, updated_at: expect.any(String), deleted_at: null };
      expect(result.events).toEqual([
        { type: 'image.created', image: { ...eventImage, created_at: iso(row!.created_at) } },
        {
          type: 'image.updated',
          image: { ...eventImage, facet: 'Grill' },
          changes: { facet: { before: 'Cover', after: 'Grill' } },
        },
        {
          type: 'image.deleted',
          image: {
            ...eventImage,
            facet: 'Grill',
            updated_at: iso(row!.updated_at),
            deleted_at: iso(row!.deleted_at!),
          },
        },
      ]);
    }, 90_000);
  },
  { listeners: true, env: serviceEnv },
);
