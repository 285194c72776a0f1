/** Tokens one completion used, as the upstream reported them. */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface UsageCounts {
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface UsageRow extends UsageCounts {
  readonly product: string;
  readonly user: string;
}

interface MutableCounts {
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

/** Counts of one day, by `usageField(product, user)`. */
export type DayUsage = Map<string, MutableCounts>;

/** Hash field suffixes in Redis: one field per counter keeps HINCRBY atomic per counter. */
export const COUNTER_SUFFIX = { requests: 'r', promptTokens: 'p', completionTokens: 'c' } as const;

/** The UTC day of an instant, `2025-01-31`: usage and the daily quotas both turn over at UTC midnight. */
export function usageDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Product and user, each URI-encoded so neither can contain the separator. */
export function usageField(product: string, user: string): string {
  return `${encodeURIComponent(product)}|${encodeURIComponent(user)}`;
}

function parseField(field: string): { product: string; user: string } | undefined {
  const [product, user, extra] = field.split('|');
  if (product === undefined || user === undefined || extra !== undefined) return undefined;
  try {
    return { product: decodeURIComponent(product), user: decodeURIComponent(user) };
  } catch {
    return undefined;
  }
}

/** Rows from a day's Redis hash (`<field>|r`, `<field>|p`, `<field>|c` → counts). */
export function rowsFromHash(hash: Readonly<Record<string, string>>): Map<string, MutableCounts> {
  const rows = new Map<string, MutableCounts>();
  const counters = Object.entries(COUNTER_SUFFIX) as [keyof UsageCounts, string][];
  for (const [name, value] of Object.entries(hash)) {
    const cut = name.lastIndexOf('|');
    const counter = counters.find(([, suffix]) => suffix === name.slice(cut + 1));
    const amount = Number(value);
    if (cut < 0 || !counter || !Number.isFinite(amount)) continue;
    const field = name.slice(0, cut);
    const row = rows.get(field) ?? { requests: 0, promptTokens: 0, completionTokens: 0 };
    row[counter[0]] += amount;
    rows.set(field, row);
  }
  return rows;
}

/** Merges `from` into `into`, counter by counter. */
export function addDayUsage(into: DayUsage, from: ReadonlyMap<string, UsageCounts>): void {
  for (const [field, counts] of from) {
    const row = into.get(field);
    if (row) {
      row.requests += counts.requests;
      row.promptTokens += counts.promptTokens;
      row.completionTokens += counts.completionTokens;
    } else {
      into.set(field, { ...counts });
    }
  }
}

export function toRows(day: ReadonlyMap<string, UsageCounts>): UsageRow[] {
  const rows: UsageRow[] = [];
  for (const [field, counts] of day) {
    const who = parseField(field);
    if (who) rows.push({ ...who, ...counts });
  }
  return rows.sort((a, b) => a.product.localeCompare(b.product) || a.user.localeCompare(b.user));
}

/** Usage counted in this process, by day: everything when there is no Redis, otherwise what is not yet flushed. */
export class UsageLedger {
  private days = new Map<string, DayUsage>();

  get empty(): boolean {
    return this.days.size === 0;
  }

  add(day: string, product: string, user: string, counts: UsageCounts): void {
    let usage = this.days.get(day);
    if (!usage) {
      usage = new Map();
      this.days.set(day, usage);
    }
    const field = usageField(product, user);
    const row = usage.get(field);
    if (!row) {
      usage.set(field, { ...counts });
      return;
    }
    row.requests += counts.requests;
    row.promptTokens += counts.promptTokens;
    row.completionTokens += counts.completionTokens;
  }

  day(day: string): ReadonlyMap<string, UsageCounts> {
    return this.days.get(day) ?? new Map();
  }

  /** Takes everything out (to flush it); `restore` puts it back if the flush failed. */
  drain(): Map<string, DayUsage> {
    const drained = this.days;
    this.days = new Map();
    return drained;
  }

  restore(drained: ReadonlyMap<string, DayUsage>): void {
    for (const [day, usage] of drained) {
      const current = this.days.get(day);
      if (current) addDayUsage(current, usage);
      else this.days.set(day, usage);
    }
  }

  /** Drops days older than `keepDays` before `today`. */
  prune(today: string, keepDays: number): void {
    const oldest = usageDay(Date.parse(`${today}T00:00:00Z`) - (keepDays - 1) * 86_400_000);
    for (const day of this.days.keys()) if (day < oldest) this.days.delete(day);
  }
}
