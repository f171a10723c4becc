import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../common/api-error';

/**
 * The message of a 404 for an image id: the segment as given, however long (API.md section 7 says
 * `Image <id> not found.`; the URL's own limit bounds it).
 */
export function imageNotFoundMessage(id: string | number): string {
  return `Image ${id} not found.`;
}

/** Digits naming a positive integer; leading zeros are allowed at any length (`002` is image 2). */
const IMAGE_ID = /^0*[1-9][0-9]{0,15}$/;

/** The image id a path segment names, or undefined when it names none (not a safe positive integer). */
export function imageIdOf(text: string): number | undefined {
  if (!IMAGE_ID.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * `:id` of the image routes: a positive integer, or 404 (a non-numeric id names no image). Runs as a
 * pipe, so after the guards: a caller without permission learns nothing about ids.
 */
@Injectable()
export class ImageIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = imageIdOf(value);
    if (id === undefined) throw new NotFoundError(imageNotFoundMessage(value));
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
