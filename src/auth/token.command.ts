import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sign } from 'jsonwebtoken';
import { AppConfig, ConfigError, parseConfig } from '../config/app-config';
import { isUsableSub, MAX_SUB_LENGTH } from './authenticated-user';
import { loadOrCreateGeneratedSecret } from './generated-secret';
import { algorithmForKey } from './jwt-verification';
import { ALL_PERMISSIONS, isPermission, Permission } from './permissions';

export const TOKEN_COMMAND_USAGE = `Usage: npm run -s token -- --sub NAME (--permissions "LIST" | --all) [options]

Prints a JWT the service accepts, signed with the key it verifies with.

  --sub NAME            the token's subject (required)
  --permissions LIST    comma-separated permissions: ${ALL_PERMISSIONS.join(', ')}
  --all                 every permission
  --expires DURATION    lifetime such as 30s, 15m, 1h (default), 7d
  --key FILE            PEM private key (JWT_PUBLIC_KEY or JWT_JWKS_URI set-ups; or set JWT_PRIVATE_KEY)
  --kid ID              key id to put in the header (JWKS set-ups with several keys)
  --help                this text

With JWT_SECRET set it signs HS256 with it; with no key configured, with the secret generated in
DATA_DIR (created if missing); with JWT_PUBLIC_KEY or JWT_JWKS_URI, with the private key given.`;

export class TokenCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenCommandError';
  }
}

export interface TokenRequest {
  readonly sub: string;
  readonly permissions: readonly Permission[];
  readonly expiresInSeconds: number;
  readonly keyFile?: string;
  readonly kid?: string;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(text.trim());
  if (match === null) {
    throw new TokenCommandError(`--expires must look like 30s, 15m, 1h or 7d (got "${text}")`);
  }
  return Number(match[1]) * DURATION_UNITS[match[2]];
}

/** Reads the command line; 'help' when help was asked for. */
export function parseTokenArguments(argv: readonly string[]): TokenRequest | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        sub: { type: 'string' },
        permissions: { type: 'string' },
        all: { type: 'boolean' },
        expires: { type: 'string' },
        key: { type: 'string' },
        kid: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new TokenCommandError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';

  const sub = typeof values.sub === 'string' ? values.sub.trim() : '';
  if (sub === '') throw new TokenCommandError('--sub is required');
  // A token the service would refuse (401) is no token to print (found by a probe).
  if (!isUsableSub(sub)) {
    throw new TokenCommandError(
      `--sub must be at most ${MAX_SUB_LENGTH} characters of well-formed Unicode`,
    );
  }

  const list = values.permissions;
  if (values.all === true && list !== undefined) {
    throw new TokenCommandError('give --permissions or --all, not both');
  }
  if (values.all !== true && list === undefined) {
    throw new TokenCommandError('give --permissions "create image,update image" or --all');
  }
  let permissions: Permission[] = [...ALL_PERMISSIONS];
  if (typeof list === 'string') {
    const names = list
      .split(',')
      .map((name) => name.trim().replace(/\s+/g, ' ').toLowerCase())
      .filter((name) => name !== '');
    const unknown = names.filter((name) => !isPermission(name));
    if (unknown.length > 0) {
      throw new TokenCommandError(
        `unknown permission ${unknown.map((name) => `"${name}"`).join(', ')}; known: ${ALL_PERMISSIONS.join(', ')}`,
      );
    }
    permissions = [...new Set(names as Permission[])];
  }

  return {
    sub,
    permissions,
    expiresInSeconds: parseDuration(typeof values.expires === 'string' ? values.expires : '1h'),
    keyFile: typeof values.key === 'string' ? values.key : undefined,
    kid: typeof values.kid === 'string' ? values.kid : undefined,
  };
}

export interface SigningKey {
  readonly algorithm: 'HS256' | 'RS256' | 'ES256';
  readonly key: string | KeyObject;
  readonly kid?: string;
}

function readPrivateKey(request: TokenRequest, env: Record<string, string | undefined>): KeyObject {
  const pem =
    request.keyFile !== undefined
      ? readFileSync(request.keyFile, 'utf8')
      : env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (pem === undefined || pem.trim() === '') {
    throw new TokenCommandError(
      'this service verifies with a public key: give its private key with --key FILE or JWT_PRIVATE_KEY',
    );
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new TokenCommandError('the private key is not a readable PEM private key');
  }
}

/** The key and algorithm matching what the service verifies with. */
export function resolveSigningKey(
  config: AppConfig,
  request: TokenRequest,
  env: Record<string, string | undefined>,
): SigningKey {
  const { jwt } = config;
  if (jwt.publicKey !== undefined || jwt.jwksUri !== undefined) {
    const privateKey = readPrivateKey(request, env);
    const publicKey = createPublicKey(privateKey);
    const algorithm = algorithmForKey(publicKey);
    if (
      jwt.publicKey !== undefined &&
      createPublicKey(jwt.publicKey).export({ type: 'spki', format: 'pem' }) !==
        publicKey.export({ type: 'spki', format: 'pem' })
    ) {
      throw new TokenCommandError('the private key does not belong to JWT_PUBLIC_KEY');
    }
    return { algorithm, key: privateKey, kid: request.kid };
  }
  if (request.keyFile !== undefined) {
    throw new TokenCommandError('--key is only for JWT_PUBLIC_KEY or JWT_JWKS_URI set-ups');
  }
  return { algorithm: 'HS256', key: jwt.secret ?? loadOrCreateGeneratedSecret(config.dataDir) };
}

export function signToken(
  config: AppConfig,
  request: TokenRequest,
  signingKey: SigningKey,
): string {
  return sign({ permissions: request.permissions }, signingKey.key, {
    algorithm: signingKey.algorithm,
    subject: request.sub,
    expiresIn: request.expiresInSeconds,
    ...(config.jwt.issuer === undefined ? {} : { issuer: config.jwt.issuer }),
    ...(config.jwt.audience === undefined ? {} : { audience: config.jwt.audience }),
    ...(signingKey.kid === undefined ? {} : { keyid: signingKey.kid }),
  });
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The whole command, without touching the process: argv and environment in, output out. */
export function runTokenCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): CommandResult {
  try {
    const request = parseTokenArguments(argv);
    if (request === 'help') return { exitCode: 0, stdout: `${TOKEN_COMMAND_USAGE}\n`, stderr: '' };
    const config = parseConfig(env, cwd);
    const token = signToken(config, request, resolveSigningKey(config, request, env));
    return { exitCode: 0, stdout: `${token}\n`, stderr: '' };
  } catch (error) {
    if (error instanceof TokenCommandError) {
      return {
        exitCode: 2,
        stdout: '',
        stderr: `token: ${error.message}\n\n${TOKEN_COMMAND_USAGE}\n`,
      };
    }
    const message =
      error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    return { exitCode: 1, stdout: '', stderr: `token: ${message}\n` };
  }
}
