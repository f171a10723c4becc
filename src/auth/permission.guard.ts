import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { REQUIRED_PERMISSION } from './auth.constants';
import type { AuthenticatedUser } from './authenticated-user';
import { assertPermission } from './authorize';
import { type AuthorizationCarrier, TokenVerifier } from './token-verifier';

type GuardedRequest = AuthorizationCarrier & { user?: AuthenticatedUser };

/**
 * The one guard of the write routes: authenticates the bearer token (401; 503 when the JWKS
 * endpoint could not be asked), then checks the permissions the route's `@RequirePermission()`
 * names (403). Guards run before pipes, so both answers come before any 404 or 422.
 *
 * It asks `TokenVerifier` itself rather than through `@nestjs/passport`'s `AuthGuard('jwt')`:
 * passport's per-request `authenticate` kept each guarded request's objects alive across young
 * collections, and a write cost 6–14 % more instructions (docs/PERFORMANCE.md). `permission.guard
 * .spec.ts` holds it to the passport guard's answers for every kind of token.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const user = await this.tokens.authenticateRequest(request);
    request.user = user;
    assertPermission(
      user,
      this.reflector.get<readonly string[] | undefined>(REQUIRED_PERMISSION, context.getHandler()),
    );
    return true;
  }
}
