import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { verify, type VerifyOptions } from 'jsonwebtoken';
import { ApiError, defaultMessage } from '../common/api-error';
import { JWT_VERIFICATION } from './auth.constants';
import { AuthenticatedUser, toAuthenticatedUser } from './authenticated-user';
import { KeyUnavailableError, type JwtVerification } from './jwt-verification';

/** jsonwebtoken options for the configured verification: pinned algorithms, exp checked. */
export function verifyOptionsFor(verification: JwtVerification): VerifyOptions {
  return {
    algorithms: verification.algorithms,
    issuer: verification.issuer,
    audience: verification.audience,
    ignoreExpiration: false,
  };
}

/**
 * Verifies a bearer token outside passport, with exactly the rules the `jwt` strategy applies.
 * The rate limiter uses it to key a request by its token's `sub`.
 */
@Injectable()
export class TokenVerifier {
  private readonly options: VerifyOptions;

  constructor(@Inject(JWT_VERIFICATION) private readonly verification: JwtVerification) {
    this.options = verifyOptionsFor(verification);
  }

  /** The token's user, or null when the token is not valid for any reason. */
  async verify(rawToken: string): Promise<AuthenticatedUser | null> {
    try {
      const key = await this.verification.keyFor(rawToken);
      return toAuthenticatedUser(verify(rawToken, key, this.options));
    } catch {
      return null;
    }
  }

  /**
   * The token's user, for callers that are not HTTP requests (the message transports): 401 when
   * there is no token or it is not valid, 503 when the JWKS endpoint could not be asked (as
   * `PermissionGuard` answers on HTTP).
   */
  async authenticate(rawToken: string | undefined): Promise<AuthenticatedUser> {
    const unauthenticated = () =>
      new ApiError(HttpStatus.UNAUTHORIZED, defaultMessage(HttpStatus.UNAUTHORIZED));
    if (rawToken === undefined || rawToken === '') throw unauthenticated();
    let key: string;
    try {
      key = await this.verification.keyFor(rawToken);
    } catch (error) {
      if (error instanceof KeyUnavailableError) {
        throw new ApiError(HttpStatus.SERVICE_UNAVAILABLE, defaultMessage(503));
      }
      throw unauthenticated();
    }
    let user: AuthenticatedUser | null;
    try {
      user = toAuthenticatedUser(verify(rawToken, key, this.options));
    } catch {
      user = null;
    }
    if (user === null) throw unauthenticated();
    return user;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
