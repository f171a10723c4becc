import { Injectable } from '@nestjs/common';
import { type Image, ImageClient, ImageClientError } from '@image-api/client';

/** A service of another team that shows covers and fixes paths, through the Image API. */
@Injectable()
export class CatalogService {
  constructor(private readonly images: ImageClient) {}

  /** The newest covers, with their anime. */
  async latestCovers(count: number): Promise<Image[]> {
    const page = await this.images.list({
      filter: { facet: 'Cover' },
      include: ['anime'],
      sort: '-created_at',
      page: { size: count },
    });
    return page.images;
  }

  /** Moves an image to a new path; null when it does not exist (any other error is thrown). */
  async movePath(token: string, id: number, path: string): Promise<Image | null> {
    try {
      return (await this.images.update(token, id, { path })).image;
    } catch (error) {
      if (error instanceof ImageClientError && error.status === 404) return null;
      throw error;
    }
  }
}
