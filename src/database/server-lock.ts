import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { withoutDeadline } from './database-timeouts';

/** What `tryWithServerLock` did: ran `work` (with its value), or found the lock taken. */
export type LockedRun<T> = { readonly ran: true; readonly value: T } | { readonly ran: false };

/** The names an SQLite process holds (SQLite serves one process: no other instance to exclude). */
const heldInProcess = new WeakMap<DataSource, Set<string>>();

/**
 * Runs `work` unless another holder has the lock `purpose`, without waiting for it. On
 * MySQL/MariaDB a server-wide `GET_LOCK` on a connection of its own, held for the run, so that one
 * instance of a fleet at a time runs it (the server releases it if that connection dies). On SQLite
 * a flag in this process.
 */
export async function tryWithServerLock<T>(
  dataSource: DataSource,
  purpose: string,
  work: () => Promise<T>,
): Promise<LockedRun<T>> {
  if (dataSource.options.type !== 'mysql') {
    let held = heldInProcess.get(dataSource);
    if (held === undefined) heldInProcess.set(dataSource, (held = new Set()));
    if (held.has(purpose)) return { ran: false };
    held.add(purpose);
    try {
      return { ran: true, value: await work() };
    } finally {
      held.delete(purpose);
    }
  }
  const name = serverLockName(purpose, String(dataSource.options.database));
  const runner = dataSource.createQueryRunner();
  // Held for the whole run, past the deadline a connection's work has by default.
  withoutDeadline(await runner.connect());
  try {
    const [{ acquired }] = (await runner.query('SELECT GET_LOCK(?, 0) AS acquired', [name])) as {
      acquired: number | string | null;
    }[];
    if (Number(acquired) !== 1) return { ran: false };
    try {
      return { ran: true, value: await work() };
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}

/** A server-wide lock name (at most 64 characters) for one purpose in one database. */
export function serverLockName(purpose: string, database: string): string {
  const name = `image_api_${purpose}.${database}`;
  return name.length <= 64
    ? name
    : `image_api_${purpose}.${createHash('sha256').update(database).digest('hex').slice(0, 32)}`;
}
