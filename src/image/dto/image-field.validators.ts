import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, registerDecorator, ValidateIf, ValidationArguments } from 'class-validator';
import { codePointLength, isWellFormed } from '../../common/unicode';
import { IMAGE_FACET_ALIASES, IMAGE_FACET_NAMES, ImageFacet } from '../image-facet';

export const MAX_PATH_LENGTH = 255;

/**
 * What is wrong with a proposed image path, or null when it is a valid relative storage path
 * (API.md sections 5 and 10): valid Unicode, 1–255 code points, no leading `/`, no `..` segment,
 * no backslash, no control characters (C0, DEL, C1), no `%`, `?` or `#` (so no encoded `..` and
 * nothing that would end the path of its `link`), no URL scheme; the last three judged without
 * the spaces around the path, as a URL parser reads it. `field` names the field in the message.
 */
export function imagePathProblem(value: unknown, field = 'path'): string | null {
  if (typeof value !== 'string') return `The ${field} field must be a string.`;
  if (value.length === 0) return `The ${field} field must not be empty.`;
  if (!isWellFormed(value)) {
    return `The ${field} field must be valid Unicode (it contains an unpaired surrogate).`;
  }
  if (codePointLength(value) > MAX_PATH_LENGTH) {
    return `The ${field} field must not be greater than ${MAX_PATH_LENGTH} characters.`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    return `The ${field} field must not contain control characters.`;
  }
  if (value.includes('\\')) return `The ${field} field must not contain a backslash.`;
  if (/[%?#]/.test(value)) return `The ${field} field must not contain %, ? or #.`;
  // A URL parser drops the spaces around its input first: ` //evil.com/x` is a URL too.
  const asUrl = value.trim();
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(asUrl)) {
    return `The ${field} field must be a relative path, not a URL.`;
  }
  if (asUrl.startsWith('/')) return `The ${field} field must be a relative path (no leading /).`;
  if (asUrl.split('/').includes('..')) {
    return `The ${field} field must not contain a '..' segment.`;
  }
  return null;
}

/**
 * A facet as clients may write it: a display name case-insensitively (`Large Cover` too), or 0, 1,
 * 2 as a number or numeric string. Undefined when it is none of those.
 */
export function parseImageFacet(value: unknown): ImageFacet | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value in IMAGE_FACET_NAMES ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (/^[0-9]+$/.test(value)) return parseImageFacet(Number(value));
  // Own names only: `constructor` or `__proto__` name no facet.
  const name = value.toLowerCase();
  return Object.hasOwn(IMAGE_FACET_ALIASES, name) ? IMAGE_FACET_ALIASES[name] : undefined;
}

const FACET_CHOICES = `${Object.values(IMAGE_FACET_NAMES).join(', ')} (or ${Object.keys(IMAGE_FACET_NAMES).join(', ')})`;

/** The 422 message of a facet that is none of the accepted spellings. */
export function invalidFacetMessage(field = 'facet'): string {
  return `The ${field} field must be one of: ${FACET_CHOICES}.`;
}

function IsImagePathValue(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isImagePath',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => imagePathProblem(value) === null,
        defaultMessage: (args?: ValidationArguments) =>
          imagePathProblem(args?.value, args?.property) ?? '',
      },
    });
}

function IsImageFacetValue(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isImageFacet',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value === 'number' && value in IMAGE_FACET_NAMES,
        defaultMessage: (args?: ValidationArguments) => invalidFacetMessage(args?.property),
      },
    });
}

interface FieldOptions {
  /** Required fields must be present and not null; optional ones may be absent (but not null). */
  readonly required: boolean;
}

/** Presence rule shared by the image fields: required, or validated only when present. */
function presence(field: string, { required }: FieldOptions): PropertyDecorator {
  return required
    ? IsDefined({ message: `The ${field} field is required.` })
    : ValidateIf((_object, value) => value !== undefined);
}

/** An image `path` (API.md section 5). */
export function ImagePathField(options: FieldOptions): PropertyDecorator {
  const doc = {
    type: String,
    minLength: 1,
    maxLength: MAX_PATH_LENGTH,
    example: 'anime/bakemonogatari/cover.jpg',
    description:
      'Relative storage path of 1–255 Unicode characters: no leading /, no .. segment, no backslash, no control characters, no %, ? or #, no URL scheme.',
  };
  return applyDecorators(
    options.required ? ApiProperty(doc) : ApiPropertyOptional(doc),
    presence('path', options),
    IsImagePathValue(),
  );
}

/** An image `facet`, converted to its int (API.md sections 2 and 5). */
export function ImageFacetField(options: FieldOptions): PropertyDecorator {
  const doc = {
    oneOf: [
      { type: 'string', enum: [...Object.values(IMAGE_FACET_NAMES), 'Large Cover'] },
      { type: 'integer', enum: [0, 1, 2] },
    ],
    example: 'Cover',
    description: 'Display name (case-insensitive; Large Cover = Cover) or 0, 1, 2.',
  };
  return applyDecorators(
    options.required ? ApiProperty(doc) : ApiPropertyOptional(doc),
    // Known spellings become the int; anything else stays as given so the message can reject it.
    Transform(({ value }: { value: unknown }) => parseImageFacet(value) ?? value),
    presence('facet', options),
    IsImageFacetValue(),
  );
}
