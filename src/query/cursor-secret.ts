import { loadOrCreateGeneratedSecret } from '../auth/generated-secret';
import type { AppConfig } from '../config/app-config';

/** The file in `DATA_DIR` that keeps the generated cursor secret (beside the generated JWT one). */
export const CURSOR_SECRET_FILE = 'cursor-secret';

/**
 * The secret that signs page cursors: `CURSOR_SECRET`, or else one generated on first use into the
 * data folder (mode 0600) and kept there, so cursors survive restarts. Several instances behind one
 * load balancer must share it: set `CURSOR_SECRET` (or share the data folder).
 */
export function cursorSecretOf(config: Pick<AppConfig, 'cursorSecret' | 'dataDir'>): string {
  return (
    config.cursorSecret ??
    loadOrCreateGeneratedSecret(config.dataDir, CURSOR_SECRET_FILE, 'cursor secret')
  );
}
