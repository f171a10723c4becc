/**
 * The clock of the service: UTC timestamps with microseconds, as stored in `timestamp(6)` columns
 * (`2024-01-15 12:00:00.123456`). JavaScript Dates stop at milliseconds, so the sub-millisecond part
 * comes from the high-resolution clock; values never go backwards within one process.
 */
let lastMicros = 0;

/** Microseconds since the epoch: an integer Number holds them exactly until the year 2255. */
export function nowMicros(): number {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  lastMicros = micros > lastMicros ? micros : lastMicros + 1;
  return lastMicros;
}

/** `epochMicros` (rounded to a whole microsecond; before 1970 too) as a database timestamp. */
export function formatDatabaseTimestamp(epochMicros: number): string {
  const micros = Math.round(epochMicros);
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = String(micros - seconds * 1_000_000).padStart(6, '0');
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')}.${fraction}`;
}

/** The current time as a database timestamp string. */
export function databaseNow(): string {
  return formatDatabaseTimestamp(nowMicros());
}

/**
 * Renders a database timestamp (`2024-01-15 12:00:00.5`, `2024-01-15 12:00:00`, or a Date) as the
 * contract's ISO 8601 form with six fraction digits: `2024-01-15T12:00:00.500000Z`.
 */
export function renderTimestamp(value: string | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return `${value.toISOString().slice(0, 23)}000Z`;
  const [date, time = '00:00:00'] = value.replace('T', ' ').replace(/Z$/, '').split(' ');
  const [clock, fraction = ''] = time.split('.');
  return `${date}T${clock}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}
