import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { sign } from 'jsonwebtoken';
import { Strategy } from 'passport-strategy';
import { ApiError, defaultMessage } from '../common/api-error';
import { JWT_VERIFICATION, REQUIRED_PERMISSION } from './auth.constants';
import type { AuthenticatedUser } from './authenticated-user';
import { assertPermission } from './authorize';
import { type JwtVerification, KeyUnavailableError } from './jwt-verification';
import { PermissionGuard } from './permission.guard';
import { type AuthorizationCarrier, TokenVerifier } from './token-verifier';

const SECRET = 'permission-guard-spec-secret-0123456789-abcdefghijkl';
const REQUIRED = ['update image'];
const SECRET_VERIFICATION: JwtVerification = {
  mode: 'secret',
  algorithms: ['HS256'],
  keyFor: () => Promise.resolve(SECRET),
  keyAtHand: () => true,
};

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
class JwtStrategy extends PassportStrategy(BearerStrategy, 'jwt') {
  constructor(private readonly tokens: TokenVerifier) {
    super();
  }

  validate(request: AuthorizationCarrier): Promise<AuthenticatedUser | null> {
    return this.tokens.userOf(request);
  }
}

/**
 * The plain version of `PermissionGuard`: `@nestjs/passport`'s `AuthGuard('jwt')` on the passport
 * strategy over `TokenVerifier`, then the permission check, as the guard was written before it
 * stopped going through passport (docs/PERFORMANCE.md).
 */
@Injectable()
class PassportPermissionGuard extends AuthGuard('jwt') {
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

function handler(): void {}
Reflect.defineMetadata(REQUIRED_PERMISSION, REQUIRED, handler);

const tokenFor = (
  claims: Record<string, unknown>,
  options: { secret?: string; header?: Record<string, unknown>; expiresIn?: number } = {},
) =>
  sign(claims, options.secret ?? SECRET, {
    algorithm: 'HS256',
    expiresIn: options.expiresIn ?? 3600,
    header: { alg: 'HS256', ...options.header },
  });

const valid = tokenFor({ sub: 'alice', permissions: ['update image', 'create image'] });

/** [what, the request's raw header lines] */
const CASES: [string, string[]][] = [
  ['no Authorization', []],
  ['a valid token with the permission', ['Authorization', `Bearer ${valid}`]],
  [
    'a valid token without the permission',
    ['Authorization', `Bearer ${tokenFor({ sub: 'bob', permissions: ['create image'] })}`],
  ],
  ['a token without permissions', ['Authorization', `Bearer ${tokenFor({ sub: 'carol' })}`]],
  [
    'an expired token',
    [
      'Authorization',
      `Bearer ${tokenFor({ sub: 'a', permissions: REQUIRED }, { expiresIn: -10 })}`,
    ],
  ],
  [
    'another key',
    [
      'Authorization',
      `Bearer ${tokenFor({ sub: 'a', permissions: REQUIRED }, { secret: `${SECRET}-other` })}`,
    ],
  ],
  [
    'a crit header',
    [
      'Authorization',
      `Bearer ${tokenFor({ sub: 'a', permissions: REQUIRED }, { header: { crit: ['exp'] } })}`,
    ],
  ],
  [
    'a sub of 256 characters',
    ['Authorization', `Bearer ${tokenFor({ sub: 'a'.repeat(256), permissions: REQUIRED })}`],
  ],
  ['no sub', ['Authorization', `Bearer ${tokenFor({ permissions: REQUIRED })}`]],
  ['lower-case bearer', ['Authorization', `bearer ${valid}`]],
  ['junk after the token', ['Authorization', `Bearer ${valid} junk`]],
  ['Basic', ['Authorization', `Basic ${Buffer.from('alice:pw').toString('base64')}`]],
  ['garbage', ['Authorization', 'Bearer not-a-jwt']],
  [
    'two Authorization lines',
    ['Authorization', `Bearer ${valid}`, 'authorization', `Bearer ${valid}`],
  ],
];

/** What a guard answered: the user it put on the request, or the status and body it threw. */
async function outcome(
  guard: { canActivate(context: ExecutionContext): unknown },
  lines: string[],
) {
  const headers: Record<string, string> = {};
  for (let index = 0; index < lines.length; index += 2) {
    headers[lines[index].toLowerCase()] ??= lines[index + 1];
  }
  const request: Record<string, unknown> = { headers, raw: { rawHeaders: lines } };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
    getHandler: () => handler,
    getClass: () => Object,
    getType: () => 'http',
  } as unknown as ExecutionContext;
  try {
    const allowed = await (guard.canActivate(context) as Promise<boolean>);
    return { allowed, user: request.user };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.getStatus(), body: error.getResponse() };
  }
}

async function guards(verification: JwtVerification) {
  const moduleRef = await Test.createTestingModule({
    imports: [PassportModule.register({ session: false })],
    providers: [
      { provide: JWT_VERIFICATION, useValue: verification },
      TokenVerifier,
      JwtStrategy,
      Reflector,
      PermissionGuard,
      PassportPermissionGuard,
    ],
  }).compile();
  return {
    fast: moduleRef.get(PermissionGuard),
    passport: moduleRef.get(PassportPermissionGuard),
    close: () => moduleRef.close(),
  };
}

describe('PermissionGuard, against the passport guard it replaces', () => {
  it.each(CASES)('should answer %s as AuthGuard("jwt") does', async (_what, lines) => {
    const { fast, passport, close } = await guards(SECRET_VERIFICATION);
    try {
      const expected = await outcome(passport, lines);
      expect(await outcome(fast, lines)).toEqual(expected);
    } finally {
      await close();
    }
  });

  it('should answer as each other for every case, the answers being these', async () => {
    const { fast, close } = await guards(SECRET_VERIFICATION);
    try {
      const answers = [];
      for (const [what, lines] of CASES) answers.push([what, await outcome(fast, lines)]);
      const unauthenticated = { status: 401, body: { message: 'Unauthenticated.' } };
      const forbidden = { status: 403, body: { message: 'This action is unauthorized.' } };
      expect(answers).toEqual([
        ['no Authorization', unauthenticated],
        [
          'a valid token with the permission',
          { allowed: true, user: { sub: 'alice', permissions: ['update image', 'create image'] } },
        ],
        ['a valid token without the permission', forbidden],
        ['a token without permissions', forbidden],
        ['an expired token', unauthenticated],
        ['another key', unauthenticated],
        ['a crit header', unauthenticated],
        ['a sub of 256 characters', unauthenticated],
        ['no sub', unauthenticated],
        ['lower-case bearer', unauthenticated],
        ['junk after the token', unauthenticated],
        ['Basic', unauthenticated],
        ['garbage', unauthenticated],
        ['two Authorization lines', unauthenticated],
      ]);
    } finally {
      await close();
    }
  });

  it('should answer 503 as the passport guard does when the JWKS endpoint cannot be asked', async () => {
    const verification: JwtVerification = {
      mode: 'jwks',
      algorithms: ['HS256'],
      keyFor: () => Promise.reject(new KeyUnavailableError(new Error('ECONNREFUSED'))),
      keyAtHand: () => true,
    };
    const { fast, passport, close } = await guards(verification);
    try {
      const lines = ['Authorization', `Bearer ${valid}`];
      const expected = { status: 503, body: { message: 'Service Unavailable.' } };
      expect(await outcome(passport, lines)).toEqual(expected);
      expect(await outcome(fast, lines)).toEqual(expected);
    } finally {
      await close();
    }
  });
});
