import { databaseNow, formatDatabaseTimestamp, nowMicros } from '../database/timestamps';
import { IDEMPOTENCY_KEY_LIFETIME_MS } from './idempotency-key';

/** The table of recorded answers (migration 1733800000000). */
export const IDEMPOTENCY_KEYS_TABLE = 'idempotency_keys';

/** Anything that runs SQL in the caller's transaction (an EntityManager, a QueryRunner). */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export interface RecordedAnswer {
  /** The fingerprint of the request that was answered (`requestFingerprint`). */
  readonly requestHash: string;
  /** The answer, as the route's handler returned it. */
  readonly result: unknown;
  readonly createdAt: string;
}

interface Row {
  request_hash: string;
  result: string;
  created_at: string | Date;
}

/** The oldest `created_at` a key may have and still count. */
export function idempotencyCutoff(): string {
  return formatDatabaseTimestamp(nowMicros() - IDEMPOTENCY_KEY_LIFETIME_MS * 1000);
}

/** The answer recorded under a key within the last 24 h, if any. */
export async function findRecordedAnswer(
  runner: SqlRunner,
  keyHash: string,
): Promise<RecordedAnswer | undefined> {
  const rows = (await runner.query(
    `SELECT request_hash, result, created_at FROM ${IDEMPOTENCY_KEYS_TABLE} WHERE key_hash = ? AND created_at >= ?`,
    [keyHash, idempotencyCutoff()],
  )) as Row[];
  const [row] = rows;
  if (row === undefined) return undefined;
  return {
    requestHash: row.request_hash,
    result: JSON.parse(row.result) as unknown,
    createdAt: String(row.created_at),
  };
}

/**
 * Records an answer. Rows older than 24 h are removed first (this key's, so it can be used again,
 * and a few others'); a key answered meanwhile by a concurrent transaction fails the insert with the
 * driver's duplicate-key error, after waiting for that transaction (MySQL).
 */
export async function insertRecordedAnswer(
  runner: SqlRunner,
  keyHash: string,
  requestHash: string,
  result: unknown,
): Promise<void> {
  await runner.query(
    `DELETE FROM ${IDEMPOTENCY_KEYS_TABLE} WHERE created_at < ? AND key_hash = ?`,
    [idempotencyCutoff(), keyHash],
  );
  await runner.query(
    `INSERT INTO ${IDEMPOTENCY_KEYS_TABLE} (key_hash, request_hash, result, created_at) VALUES (?, ?, ?, ?)`,
    [keyHash, requestHash, JSON.stringify(result), databaseNow()],
  );
}

/** Removes the keys older than 24 h; returns how many. */
export async function purgeExpiredAnswers(runner: SqlRunner): Promise<number> {
  const result = (await runner.query(`DELETE FROM ${IDEMPOTENCY_KEYS_TABLE} WHERE created_at < ?`, [
    idempotencyCutoff(),
  ])) as { affectedRows?: number } | [unknown, number] | undefined;
  if (Array.isArray(result)) return Number(result[1] ?? 0);
  return Number(result?.affectedRows ?? 0);
}

/** Whether an error is the duplicate-key error of the recording insert. */
export function isDuplicateKey(error: unknown): boolean {
  const coded = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = coded?.code ?? coded?.driverError?.code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}
