import { checkExportDate, delayUntil, utcDay } from './usage-export.service';

const NOW = Date.parse('2026-03-10T12:00:00Z');

describe('export scheduling and dates', () => {
  it('waits until the next HH:MM UTC, today or tomorrow', () => {
    expect(delayUntil(13 * 60, NOW)).toBe(3_600_000);
    expect(delayUntil(10, NOW)).toBe(12 * 3_600_000 + 10 * 60_000);
    expect(delayUntil(12 * 60, NOW)).toBe(86_400_000);
  });

  it('accepts past and present calendar days only', () => {
    expect(checkExportDate('2026-03-10', NOW)).toBeUndefined();
    expect(checkExportDate('2024-02-29', NOW)).toBeUndefined();
    expect(checkExportDate('2026-03-11', NOW)).toBe('date must not be in the future');
    expect(checkExportDate('2026-02-29', NOW)).toBe('date must be a calendar day as YYYY-MM-DD');
    expect(checkExportDate('10/03/2026', NOW)).toBe('date must be a calendar day as YYYY-MM-DD');
  });

  it('names UTC days', () => {
    expect(utcDay(Date.parse('2026-03-10T23:59:59.999Z'))).toBe('2026-03-10');
  });
});
