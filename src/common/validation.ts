import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from './api-error';

/** Flattens class-validator's tree into `{"field.sub": ["message", ...]}`. */
export function flattenValidationErrors(
  errors: ValidationError[],
  parent = '',
): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const error of errors) {
    const key = parent === '' ? error.property : `${parent}.${error.property}`;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) result[key] = messages;
    if (error.children !== undefined && error.children.length > 0) {
      Object.assign(result, flattenValidationErrors(error.children, key));
    }
  }
  return result;
}

/**
 * The ValidationPipe for bodies (see validate-body.ts): unknown keys are stripped (ignored), failures
 * are 422.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: false,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
