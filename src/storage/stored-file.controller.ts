import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../common/api-error';
import { ifNoneMatchMatches } from '../common/entity-tag';
import { STORAGE_DRIVER, type StorageDriver } from './storage-driver';
import { isStoragePath } from './storage-path';

/** Where the local driver's files are served, outside API_PREFIX. */
export const STORED_FILES_ROUTE = 'storage/images';
const ROUTE_PREFIX = `/${STORED_FILES_ROUTE}/`;

/** Stored names are random and never rewritten: a file at a path never changes. */
export const STORED_FILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * The storage path a request URL names, or undefined when it names none. Each segment of the raw
 * path is percent-decoded on its own, so an encoded `/` (`..%2f`) can't join or leave segments;
 * the result must then be a storage path (no `..`, dot, empty segment, backslash or control
 * character).
 */
export function storagePathOfUrl(url: string): string | undefined {
  // An absolute-form target (`GET http://host/storage/…`, RFC 9112 section 3.2.2) names its path
  // after the authority.
  const target = url.startsWith('/')
    ? url
    : url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  const pathname = target.split('?', 1)[0];
  if (!pathname.startsWith(ROUTE_PREFIX)) return undefined;
  const segments: string[] = [];
  for (const raw of pathname.slice(ROUTE_PREFIX.length).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment.includes('/')) return undefined;
    segments.push(segment);
  }
  const path = segments.join('/');
  return isStoragePath(path) ? path : undefined;
}

/**
 * `GET /storage/images/<path>` with the local driver: the file with the type its first bytes show
 * (an accepted image type, else `application/octet-stream`), a strong ETag (304 on a matching
 * `If-None-Match`) and a year of caching. Anything missing or outside the folder is the
 * contract's 404. Not rate-limited: a page shows many images at once.
 */
@ApiExcludeController()
@Controller(STORED_FILES_ROUTE)
export class StoredFileController {
  constructor(@Inject(STORAGE_DRIVER) private readonly storage: StorageDriver) {}

  @Get('*')
  async serve(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const path = storagePathOfUrl(request.url);
    const opened = path === undefined ? undefined : await this.storage.read(path);
    if (opened === undefined) throw new NotFoundError();
    const { file, body } = opened;
    void reply.header('ETag', file.etag).header('Cache-Control', STORED_FILE_CACHE_CONTROL);
    if (ifNoneMatchMatches(request.headers['if-none-match'], file.etag)) {
      body.destroy();
      await reply.status(304).send();
      return;
    }
    await reply
      .header('Content-Type', file.contentType)
      .header('Content-Length', String(file.size))
      .header('Last-Modified', file.lastModified.toUTCString())
      .header('X-Content-Type-Options', 'nosniff')
      .send(body);
  }
}
