import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { AppConfig, parseConfig } from './app-config';

/**
 * Reads `.env` (if present) into the environment, and validates the result. A variable set in the
 * real environment wins, unless it is empty (or blank), which counts as unset as everywhere else:
 * dotenv kept an empty one, so `PORT=` (as compose writes `${PORT:-}`) hid `.env`'s `PORT` and the
 * default was used (found by a probe).
 */
export function loadConfigFromEnvironment(cwd: string = process.cwd()): AppConfig {
  const envFile = resolve(cwd, '.env');
  if (existsSync(envFile)) {
    for (const [name, value] of Object.entries(parseDotenv(readFileSync(envFile)))) {
      if ((process.env[name] ?? '').trim() === '') process.env[name] = value;
    }
  }
  return parseConfig(process.env, cwd);
}
