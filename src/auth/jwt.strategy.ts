import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { JWT_VERIFICATION } from './auth.constants';
import { AuthenticatedUser, toAuthenticatedUser } from './authenticated-user';
import type { JwtVerification } from './jwt-verification';
import { bearerToken } from './token-verifier';

/**
 * The passport `jwt` strategy: the key comes from the configured verification (secret, PEM key or
 * JWKS by `kid`), the algorithms are pinned, `exp` is checked, and `validate` insists on `exp` and
 * `sub` being present.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(JWT_VERIFICATION) verification: JwtVerification) {
    super({
      // The rate limiter's reading too: exactly `Bearer <token>`, anything else is no token.
      jwtFromRequest: (request: { headers: { authorization?: string } }) =>
        bearerToken(request.headers.authorization) ?? null,
      secretOrKeyProvider: (_request: unknown, rawToken: string, done) => {
        verification.keyFor(rawToken).then(
          (key) => done(null, key),
          (error: unknown) => done(error),
        );
      },
      algorithms: verification.algorithms,
      issuer: verification.issuer,
      audience: verification.audience,
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): AuthenticatedUser | null {
    return toAuthenticatedUser(payload);
  }
}
