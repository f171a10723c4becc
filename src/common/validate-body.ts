import type { Type } from '@nestjs/common';
import { ValidationFailedError } from './api-error';
import { createValidationPipe } from './validation';

const pipe = createValidationPipe();

/**
 * Validates a JSON body against a DTO class with the service's ValidationPipe (unknown keys dropped,
 * 422 keyed by field). For handlers that must answer 404 for a missing row before judging the body
 * (API.md section 6: 401 → 403 → 404 → 422), so validation cannot run as a parameter pipe.
 * No body counts as `{}`; a body that is JSON but not an object is a 422 on `body`.
 */
export async function validateBody<T extends object>(dto: Type<T>, body: unknown): Promise<T> {
  const value = body ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw ValidationFailedError.of('body', 'The request body must be a JSON object.');
  }
  return (await pipe.transform(value, { type: 'body', metatype: dto })) as T;
}
