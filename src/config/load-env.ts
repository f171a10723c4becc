import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { AppConfig, parseConfig } from './app-config';

/** Reads `.env` (if present; real environment variables win) and validates the result. */
export function loadConfigFromEnvironment(cwd: string = process.cwd()): AppConfig {
  const envFile = resolve(cwd, '.env');
  if (existsSync(envFile)) loadDotenv({ path: envFile, quiet: true });
  return parseConfig(process.env, cwd);
}
