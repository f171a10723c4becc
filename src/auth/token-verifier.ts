import { Inject, Injectable } from '@nestjs/common';
import { verify, type VerifyOptions } from 'jsonwebtoken';
import { JWT_VERIFICATION } from './auth.constants';
import { AuthenticatedUser, toAuthenticatedUser } from './authenticated-user';
import type { JwtVerification } from './jwt-verification';

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
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
