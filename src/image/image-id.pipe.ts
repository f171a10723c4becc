import { Injectable, PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../common/api-error';

/** The message of a 404 for an image id. */
export function imageNotFoundMessage(id: string | number): string {
  return `Image ${id} not found.`;
}

/**
 * `:id` of the image routes: a positive integer, or 404 (a non-numeric id names no image). Runs as a
 * pipe, so after the guards: a caller without permission learns nothing about ids.
 */
@Injectable()
export class ImageIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) throw new NotFoundError(imageNotFoundMessage(value));
    return id;
  }
}
