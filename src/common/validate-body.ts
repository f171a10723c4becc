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

/** A DTO's validated keys, and which of them take a nested object (`@ValidateNested`). */
interface DtoKeys {
  readonly keys: readonly string[];
  readonly nested: ReadonlySet<string>;
}

const dtoKeys = new WeakMap<Type<object>, DtoKeys>();

function keysOf(dto: Type<object>): DtoKeys {
  let found = dtoKeys.get(dto);
  if (found === undefined) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    found = {
      keys: [...new Set(metadata.map((entry) => entry.propertyName))],
      nested: new Set(
        metadata
          .filter((entry) => entry.type === 'nestedValidation')
          .map((entry) => entry.propertyName),
      ),
    };
    dtoKeys.set(dto, found);
  }
  return found;
}

/**
 * The body with only the DTO's validated keys, which are all the pipe's whitelist keeps: the pipe
 * strips unknown keys at a cost that grows faster than their number (120,000 keys took 5.4 s and
 * held the event loop), where this is one look-up per known key. An object or array given for a
 * scalar field is judged by its kind alone, so it goes on empty: the pipe walked one of 120,000
 * keys as slowly.
 */
function knownKeysOf(dto: Type<object>, value: object): Record<string, unknown> {
  const { keys, nested } = keysOf(dto);
  const known: Record<string, unknown> = {};
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) continue;
    const field = (value as Record<string, unknown>)[key];
    known[key] =
      typeof field !== 'object' || field === null || nested.has(key)
        ? field
        : Array.isArray(field)
          ? []
          : {};
  }
  return known;
}
