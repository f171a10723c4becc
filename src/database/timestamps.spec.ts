import { databaseNow, formatDatabaseTimestamp, nowMicros, renderTimestamp } from './timestamps';

describe('formatDatabaseTimestamp', () => {
  it('should write microseconds since the epoch as a timestamp(6) value', () => {
    expect(formatDatabaseTimestamp(Date.UTC(2024, 0, 15, 12, 0, 0, 123) * 1000 + 456)).toBe(
      '2024-01-15 12:00:00.123456',
    );
    expect(formatDatabaseTimestamp(Date.UTC(2024, 0, 15, 12, 0, 0) * 1000 + 5)).toBe(
      '2024-01-15 12:00:00.000005',
    );
    expect(formatDatabaseTimestamp(0)).toBe('1970-01-01 00:00:00.000000');
  });

  it('should count a time before 1970 down from the whole second before it', () => {
    // A prune of 36,500 days (its largest setting) looks back past the epoch.
    expect(formatDatabaseTimestamp(-1)).toBe('1969-12-31 23:59:59.999999');
    expect(formatDatabaseTimestamp(Date.UTC(1926, 11, 31, 15, 24, 4, 250) * 1000 - 1)).toBe(
      '1926-12-31 15:24:04.249999',
    );
  });

  it('should round a fraction of a microsecond', () => {
    expect(formatDatabaseTimestamp(1_000_000.6)).toBe('1970-01-01 00:00:01.000001');
    expect(formatDatabaseTimestamp(1_000_000.4)).toBe('1970-01-01 00:00:01.000000');
  });
});

describe('nowMicros', () => {
  it('should be the wall clock in microseconds, a whole number that always grows', () => {
    const before = Date.now() * 1000;
    const readings = Array.from({ length: 1000 }, () => nowMicros());
    const after = (Date.now() + 1) * 1000;
    for (let index = 1; index < readings.length; index++) {
      expect(readings[index]).toBeGreaterThan(readings[index - 1]);
    }
    expect(readings.every(Number.isInteger)).toBe(true);
    expect(readings[0]).toBeGreaterThanOrEqual(before - 1000);
    expect(readings[readings.length - 1]).toBeLessThan(after + 1000);
  });

  it('should give databaseNow a timestamp that renders as the same instant', () => {
    const now = databaseNow();
    expect(now).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(Math.abs(Date.parse(renderTimestamp(now)!) - Date.now())).toBeLessThan(1000);
  });
});
