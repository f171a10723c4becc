import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { verify, type VerifyOptions } from 'jsonwebtoken';
import { ApiError, defaultMessage } from '../common/api-error';
import { headerLineCount } from '../common/header-lines';
import { JWT_VERIFICATION } from './auth.constants';
import { AuthenticatedUser, toAuthenticatedUser } from './authenticated-user';
import { KeyUnavailableError, type JwtVerification } from './jwt-verification';
import { verificationKey } from './verification-key';

/** jsonwebtoken options for the configured verification: pinned algorithms, exp checked. */
export function verifyOptionsFor(verification: JwtVerification): VerifyOptions {
  return {
    algorithms: verification.algorithms,
    issuer: verification.issuer,
    audience: verification.audience,
    ignoreExpiration: false,
  };
}

/** What authentication reads of a request: its `Authorization` header (Fastify's request). */
export interface AuthorizationCarrier {
  readonly headers: { readonly authorization?: string | string[] };
  /** Node's request, whose raw header lines show a second `Authorization` (Node keeps the first). */
  readonly raw?: { readonly rawHeaders?: readonly string[] };
}

/** The request's one `Authorization` value; two or more lines are none (which one was meant?). */
function soleAuthorization(request: AuthorizationCarrier): string | string[] | undefined {
  if (headerLineCount(request.raw?.rawHeaders, 'authorization') > 1) return undefined;
  return request.headers.authorization;
}

/**
 * The one verifier of bearer tokens: the write routes' guard, the rate limiter and the message
 * transports all ask it. A request's token is verified once, whoever asks first (`userOf`).
 */
@Injectable()
export class TokenVerifier {
  private readonly options: VerifyOptions & { complete: true };
  private readonly requests = new WeakMap<object, Promise<AuthenticatedUser | null>>();

  constructor(@Inject(JWT_VERIFICATION) private readonly verification: JwtVerification) {
    this.options = { ...verifyOptionsFor(verification), complete: true };
  }

  /**
   * The user of a request's `Authorization: Bearer <token>`, null without a valid one, verified once
   * per request. Rejects with `KeyUnavailableError` when the JWKS endpoint could not be asked.
   */
  userOf(request: AuthorizationCarrier): Promise<AuthenticatedUser | null> {
    let user = this.requests.get(request);
    if (user === undefined) {
      user = this.check(bearerToken(soleAuthorization(request)));
      this.requests.set(request, user);
    }
    return user;
  }

  /**
   * `userOf`, or null at once when that would wait for the JWKS endpoint: for the rate limiter,
   * which needs the user only to pick a bucket (the IP's then). A read that carried a token waited
   * for the endpoint, 5 s when it was down (found by a probe); a write's guard still waits.
   */
  userAtHand(request: AuthorizationCarrier): Promise<AuthenticatedUser | null> {
    const verifying = this.requests.get(request);
    if (verifying !== undefined) return verifying;
    const token = bearerToken(soleAuthorization(request));
    if (token !== undefined && !this.verification.keyAtHand(token)) return Promise.resolve(null);
    return this.userOf(request);
  }

  /**
   * A request's user (`userOf`) as a write route requires one: 401 when there is no token or it
   * is not valid, 503 when the JWKS endpoint could not be asked.
   */
  authenticateRequest(request: AuthorizationCarrier): Promise<AuthenticatedUser> {
    return required(this.userOf(request));
  }

  /** The same for callers that are not HTTP requests (the message transports): a raw token. */
  authenticate(rawToken: string | undefined): Promise<AuthenticatedUser> {
    return required(this.check(rawToken));
  }

  /** The token's user, null when it is missing or not valid; throws only `KeyUnavailableError`. */
  private async check(rawToken: string | undefined): Promise<AuthenticatedUser | null> {
    if (rawToken === undefined) return null;
    let key: string;
    try {
      key = await this.verification.keyFor(rawToken);
    } catch (error) {
      if (error instanceof KeyUnavailableError) throw error;
      return null;
    }
    try {
      const { header, payload } = verify(rawToken, verificationKey(key), this.options);
      // RFC 7515 section 4.1.11: `crit` names header extensions a verifier must understand or
      // refuse the token. This service understands none, and jsonwebtoken ignores `crit`.
      if ('crit' in header) return null;
      return toAuthenticatedUser(payload);
    } catch {
      return null;
    }
  }
}

/** The user, or the answer without one: 401 for no (valid) token, 503 when no key could be had. */
async function required(user: Promise<AuthenticatedUser | null>): Promise<AuthenticatedUser> {
  let found: AuthenticatedUser | null;
  try {
    found = await user;
  } catch {
    throw new ApiError(HttpStatus.SERVICE_UNAVAILABLE, defaultMessage(503));
  }
  if (found === null) {
    throw new ApiError(HttpStatus.UNAUTHORIZED, defaultMessage(HttpStatus.UNAUTHORIZED));
  }
  return found;
}

/**
 * The token of an `Authorization` value: exactly `Bearer <token>` (API.md section 10); anything else
 * is no token. The one parser for HTTP and the message transports.
 */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return header === undefined ? undefined : /^Bearer ([^\s]+)$/.exec(header)?.[1];
}
