const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Throws a RangeError naming the zone when it is not a valid IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function utcOffsetMs(timeZone: string, at: number): number {
  if (timeZone === 'UTC') return 0;
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts['year']!, parts['month']! - 1, parts['day']!, parts['hour']!, parts['minute']!, parts['second']!);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/** The local day number (days since 1970-01-01 in the zone) and the ms until its midnight. */
export function localDay(nowMs: number, offsetMs: number): { day: number; msUntilMidnight: number } {
  const local = nowMs + offsetMs;
  const day = Math.floor(local / DAY_MS);
  return { day, msUntilMidnight: (day + 1) * DAY_MS - local };
}
