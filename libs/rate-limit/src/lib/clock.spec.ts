import { assertTimeZone, localDay, utcOffsetMs } from './clock';

describe('clock', () => {
  it('knows daylight saving offsets', () => {
    expect(utcOffsetMs('America/New_York', Date.UTC(2026, 0, 15, 12))).toBe(-5 * 3_600_000);
    expect(utcOffsetMs('America/New_York', Date.UTC(2026, 6, 15, 12))).toBe(-4 * 3_600_000);
    expect(utcOffsetMs('Asia/Kolkata', Date.UTC(2026, 6, 15, 12, 0, 0, 789))).toBe(5.5 * 3_600_000);
    expect(utcOffsetMs('UTC', Date.UTC(2026, 6, 15))).toBe(0);
  });

  it('puts an instant in the local day of the zone', () => {
    const lateEveningUtc = Date.UTC(2026, 10, 23, 23, 30);
    const tokyo = localDay(lateEveningUtc, utcOffsetMs('Asia/Tokyo', lateEveningUtc));
    const utc = localDay(lateEveningUtc, 0);
    expect(tokyo.day).toBe(utc.day + 1);
    expect(utc.msUntilMidnight).toBe(30 * 60_000);
    expect(tokyo.msUntilMidnight).toBe((24 - 8.5) * 3_600_000);
  });

  it('rejects an unknown zone', () => {
    expect(() => assertTimeZone('Nowhere/City')).toThrow('unknown time zone "Nowhere/City"');
  });
});
