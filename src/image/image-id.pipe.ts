import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
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

const RawImageIdParam = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<{ params: Record<string, string> }>().params.id,
);

/**
 * The route's `:id` as an image id (404 otherwise). A custom parameter decorator rather than
 * `@Param('id')`: a ValidationPipe with `transform` (as Nest apps commonly install globally) would
 * convert `@Param` values of type `number` itself, turning `abc` into `NaN` before `ImageIdPipe`
 * could name it in the 404.
 */
export const ImageId = (): ParameterDecorator => RawImageIdParam(undefined, ImageIdPipe);
