import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiError, defaultMessage } from '../common/api-error';
import { REQUIRED_PERMISSION } from './auth.constants';
import type { AuthenticatedUser } from './authenticated-user';
import { assertPermission } from './authorize';
import { KeyUnavailableError } from './jwt-verification';

/**
 * The one guard of the write routes: authenticates the bearer token through the passport `jwt`
 * strategy (401), then checks the permissions the route's `@RequirePermission()` names (403).
 * Guards run before pipes, so both answers come before any 404 or 422.
 */
@Injectable()
export class PermissionGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const required = this.reflector.get<readonly string[] | undefined>(
      REQUIRED_PERMISSION,
      context.getHandler(),
    );
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    assertPermission(user, required);
    return true;
  }

  override handleRequest<TUser = AuthenticatedUser>(
    error: unknown,
    user: TUser | false | null,
    info: unknown,
  ): TUser {
    if (error instanceof KeyUnavailableError || info instanceof KeyUnavailableError) {
      throw new ApiError(HttpStatus.SERVICE_UNAVAILABLE, defaultMessage(503));
    }
    if (error || !user) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, defaultMessage(HttpStatus.UNAUTHORIZED));
    }
    return user;
  }
}
