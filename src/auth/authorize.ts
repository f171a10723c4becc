import { HttpStatus } from '@nestjs/common';
import { ApiError, defaultMessage } from '../common/api-error';
import type { AuthenticatedUser } from './authenticated-user';

/**
 * The permission check of every write, whatever transport it came by: the user must carry every
 * permission the operation requires (403 otherwise). An operation that declares no permission is
 * closed rather than open.
 */
export function assertPermission(
  user: AuthenticatedUser | undefined,
  required: string | readonly string[] | undefined,
): asserts user is AuthenticatedUser {
  const all = typeof required === 'string' ? [required] : (required ?? []);
  if (
    all.length === 0 ||
    user === undefined ||
    !all.every((permission) => user.permissions.includes(permission))
  ) {
    throw new ApiError(HttpStatus.FORBIDDEN, defaultMessage(HttpStatus.FORBIDDEN));
  }
}
