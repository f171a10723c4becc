import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import type { AuthenticatedUser } from './authenticated-user';
import { AuthorizationCarrier, TokenVerifier } from './token-verifier';

type Verify = (request: unknown, done: (error: unknown, user?: unknown) => void) => void;

/** A passport strategy that hands the request to a verify callback (Nest's `validate`). */
class BearerStrategy extends Strategy {
  constructor(private readonly verifyRequest: Verify) {
    super();
  }

  override authenticate(request: unknown): void {
    this.verifyRequest(request, (error, user) => {
      if (error) this.error(error as Error);
      else if (user) this.success(user);
      else this.fail('Bearer', 401);
    });
  }
}

/**
 * The passport `jwt` strategy: the token of `Authorization: Bearer <token>`, checked by
 * `TokenVerifier` (pinned algorithms, `exp`, `sub`), the same check and result the rate limiter
 * got for this request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(BearerStrategy, 'jwt') {
  constructor(private readonly tokens: TokenVerifier) {
    super();
  }

  validate(request: AuthorizationCarrier): Promise<AuthenticatedUser | null> {
    return this.tokens.userOf(request);
  }
}
