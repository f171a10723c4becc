import type { Type } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
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
  return (await pipe.transform(knownKeysOf(dto, value), { type: 'body', metatype: dto })) as T;
}

const validatedKeys = new WeakMap<Type<object>, readonly string[]>();

/**
 * The body with only the DTO's validated keys, which are all the pipe's whitelist keeps: the pipe
 * strips unknown keys at a cost that grows faster than their number (120,000 keys took 5.4 s and
 * held the event loop), where this is one look-up per known key.
 */
function knownKeysOf(dto: Type<object>, value: object): Record<string, unknown> {
  let keys = validatedKeys.get(dto);
  if (keys === undefined) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    keys = [...new Set(metadata.map((entry) => entry.propertyName))];
    validatedKeys.set(dto, keys);
  }
  const known: Record<string, unknown> = {};
  for (const key of keys) {
    if (Object.hasOwn(value, key)) known[key] = (value as Record<string, unknown>)[key];
  }
  return known;
}
