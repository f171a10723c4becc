import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolderSync } from '../common/folders';

export const GENERATED_SECRET_FILE = 'jwt-secret';
const MIN_SECRET_LENGTH = 32;

/**
 * The HS256 secret used when no JWT key is configured: created once (48 random bytes, base64url) in
 * the data folder with mode 0600, and read back on every later start and by the token command.
 * Creation is exclusive (`wx`), so two processes starting at once end up with the same secret.
 * Other generated secrets (the cursor secret) live beside it under their own `fileName`.
 */
export function loadOrCreateGeneratedSecret(
  dataDir: string,
  fileName: string = GENERATED_SECRET_FILE,
  purpose = 'JWT secret',
): string {
  const path = join(dataDir, fileName);
  makeFolderSync(dataDir);
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(48).toString('base64url')}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // A file copied around with looser permissions is tightened rather than trusted as is.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `${path} holds no usable ${purpose} (fewer than ${MIN_SECRET_LENGTH} characters); delete it to generate a new one`,
    );
  }
  return secret;
}
