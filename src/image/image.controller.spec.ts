import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { sign } from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { AuthModule } from '../auth/auth.module';
import { ALL_PERMISSIONS, Permission } from '../auth/permissions';
import { NotFoundError } from '../common/api-error';
import { AllExceptionsFilter } from '../common/all-exceptions.filter';
import { ConditionalResult } from '../common/entity-tag';
import { parseConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { ImageUploadService } from './image-upload.service';
import { ImageController } from './image.controller';
import { ImageService } from './image.service';

/**
 * The HTTP contract of the image routes without a database: the real controller, pipes, guards and
 * exception filter, a mocked service. Pins status codes, error bodies, and the order of the checks
 * (401, 403 before 404 and 422; the query before the id).
 */
const SECRET = 'controller-spec-secret-0123456789-0123456789';
const config = parseConfig({
  LOG_LEVEL: 'silent',
  JWT_SECRET: SECRET,
  CURSOR_SECRET: 'controller-spec-cursor-secret-0123456789-01234',
  RATE_LIMIT_PER_MINUTE: '0',
  DEMO_DATA: 'false',
});
const token = (permissions: readonly string[] = ALL_PERMISSIONS) =>
  `Bearer ${sign({ sub: 'spec-user', permissions }, SECRET, { algorithm: 'HS256', expiresIn: '1h' })}`;

const images = {
  list: jest.fn(),
  show: jest.fn(),
  create: jest.fn(),
  update: jest.fn(),
  softDelete: jest.fn(),
};

describe('ImageController (HTTP contract, mocked service)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule.forRoot(config), AuthModule],
      controllers: [ImageController],
      providers: [
        { provide: ImageService, useValue: images },
        { provide: ImageUploadService, useValue: {} },
        // The Idempotency-Key claim's database (not used: no request here sends the header).
        { provide: DataSource, useValue: {} },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    app.useGlobalFilters(new AllExceptionsFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => jest.resetAllMocks());

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  it('should hand the list its parsed query and read context, and send the ETag', async () => {
    const body = { images: [], links: {}, meta: {} };
    images.list.mockResolvedValue(ConditionalResult.modified('"tag"', body));
    const response = await get('/image?sort=-path&page[size]=2', { 'if-none-match': '"old"' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(body);
    expect(response.headers.etag).toBe('"tag"');
    expect(response.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    const [query, context] = images.list.mock.calls[0] as [unknown, unknown];
    expect(query).toMatchObject({
      sort: { image: [{ field: 'path', direction: 'DESC' }] },
      page: { size: 2, number: 1 },
    });
    expect(context).toEqual({
      baseUrl: 'http://localhost:80/api/image',
      rawQuery: 'sort=-path&page[size]=2',
      ifNoneMatch: '"old"',
    });
  });

  it('should answer 304 with no body when the reader says not modified', async () => {
    images.show.mockResolvedValue(ConditionalResult.notModified('"tag"'));
    const response = await get('/image/7', { 'if-none-match': '"tag"' });
    expect(response.statusCode).toBe(304);
    expect(response.body).toBe('');
    expect(response.headers.etag).toBe('"tag"');
    expect(images.show.mock.calls[0][0]).toBe(7);
  });

  it('should send a serialised body as its bytes, as JSON, with the ETag', async () => {
    const json = Buffer.from('{"images":[{"path":"é.png"}],"links":{},"meta":{}}');
    images.list.mockResolvedValue(ConditionalResult.serialized('"tag"', json));
    const response = await get('/image');
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload).toEqual(json);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['content-length']).toBe(String(json.length));
    expect(response.headers.etag).toBe('"tag"');
    expect(response.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
  });

  it('should mark a list without a tag (sort=random) no-store', async () => {
    images.list.mockResolvedValue(ConditionalResult.modified(null, { images: [] }));
    const response = await get('/image?sort=random');
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('should answer a bad query 422 before the service runs', async () => {
    const response = await get('/image?page[size]=0&include=nope');
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      message: "page[size] must be an integer from 1 to 100; got '0'.",
      errors: {
        'page.size': ["page[size] must be an integer from 1 to 100; got '0'."],
        include: ["Unknown include 'nope'. Allowed includes: anime, artists, studios, playlists."],
      },
    });
    expect(images.list).not.toHaveBeenCalled();
  });

  it('should judge the query before the id on show (422 even for an id that names nothing)', async () => {
    const bad = await get('/image/abc?page[size]=2');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toEqual({
      message: 'page[size] pages a list of images, so it is not accepted when showing one image.',
      errors: {
        'page.size': [
          'page[size] pages a list of images, so it is not accepted when showing one image.',
        ],
      },
    });
    const missing = await get('/image/abc');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ message: 'Image abc not found.' });
    expect(images.show).not.toHaveBeenCalled();
  });

  it('should answer a write without a token 401, before the id and the body are judged', async () => {
    const response = await app.inject({
      method: 'PATCH',
      url: '/image/abc',
      payload: { facet: 9 },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ message: 'Unauthenticated.' });
    expect(images.update).not.toHaveBeenCalled();
  });

  it('should answer a token without the permission 403, before the id is judged', async () => {
    const response = await app.inject({
      method: 'DELETE',
      url: '/image/abc',
      headers: { authorization: token([Permission.UpdateImage]) },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ message: 'This action is unauthorized.' });
    expect(images.softDelete).not.toHaveBeenCalled();
  });

  it('should answer an id that names no image 404 once the caller may write', async () => {
    const response = await app.inject({
      method: 'DELETE',
      url: '/image/0',
      headers: { authorization: token() },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ message: 'Image 0 not found.' });
    expect(images.softDelete).not.toHaveBeenCalled();
  });

  it('should hand a permitted write its id, its body unvalidated and the actor', async () => {
    images.update.mockRejectedValue(new NotFoundError('Image 5 not found.'));
    const response = await app.inject({
      method: 'PATCH',
      url: '/image/5',
      headers: { authorization: token([Permission.UpdateImage]) },
      payload: { facet: 'nonsense' },
    });
    expect(response.statusCode).toBe(404);
    // No If-Match header: the service gets none to check.
    expect(images.update).toHaveBeenCalledWith(5, { facet: 'nonsense' }, 'spec-user', undefined);
  });
});
