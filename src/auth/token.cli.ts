import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { runTokenCommand } from './token.command';

// `npm run token -- --sub alice --all`: reads `.env` like the service, prints one token.
const envFile = resolve(process.cwd(), '.env');
if (existsSync(envFile)) loadDotenv({ path: envFile, quiet: true });
const result = runTokenCommand(process.argv.slice(2), process.env);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
