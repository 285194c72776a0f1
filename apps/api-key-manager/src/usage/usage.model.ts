/** Counts for one key on one UTC day. */
export interface UsageCounts {
  readonly requests: number;
  readonly endpoints: Readonly<Record<string, number>>;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Epoch ms of the latest use counted. */
  readonly lastUsedAt?: number;
}

/** Usage waiting to be written: one key, one day, tagged with a flush id so a retried write is applied once. */
export interface PendingUsage {
  readonly flushId: string;
  readonly keyId: string;
  readonly providerId: string;
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly counts: UsageCounts;
}

/** A stored usage row: the day's counts plus the ids of the flushes already in them. */
export interface UsageRow extends UsageCounts {
  readonly keyId: string;
  readonly providerId: string;
  readonly day: string;
  readonly appliedFlushes: readonly string[];
}

/** Distinct endpoints kept per key and day; the rest are counted under OTHER_ENDPOINTS, so a row stays small. */
export const MAX_ENDPOINTS_PER_DAY = 200;
export const OTHER_ENDPOINTS = '(other)';
/** Flush ids remembered per row; enough to recognise a write retried after an ambiguous timeout. */
export const APPLIED_FLUSH_MEMORY = 64;

function addCounts(target: Record<string, number>, source: Readonly<Record<string, number>>, limit: number): Record<string, number> {
  const merged = { ...target };
  for (const [name, count] of Object.entries(source)) {
    const slot = name in merged || Object.keys(merged).length < limit ? name : OTHER_ENDPOINTS;
    merged[slot] = (merged[slot] ?? 0) + count;
  }
  return merged;
}

/** Adds a flush to a stored row (or starts one). Returns undefined when the row already holds that flush. */
export function applyFlush(row: UsageRow | undefined, pending: PendingUsage): UsageRow | undefined {
  if (row?.appliedFlushes.includes(pending.flushId)) return undefined;
  const lastUsed = Math.max(row?.lastUsedAt ?? 0, pending.counts.lastUsedAt ?? 0);
  return {
    keyId: pending.keyId,
    providerId: pending.providerId,
    day: pending.day,
    requests: (row?.requests ?? 0) + pending.counts.requests,
    endpoints: addCounts({ ...(row?.endpoints ?? {}) }, pending.counts.endpoints, MAX_ENDPOINTS_PER_DAY),
    statusCodes: addCounts({ ...(row?.statusCodes ?? {}) }, pending.counts.statusCodes, Number.POSITIVE_INFINITY),
    lastUsedAt: lastUsed > 0 ? lastUsed : undefined,
    appliedFlushes: [...(row?.appliedFlushes ?? []), pending.flushId].slice(-APPLIED_FLUSH_MEMORY),
  };
}

/** Totals over days: what `GET /auth/keys/{id}/usage` answers. */
export function sumUsage(rows: readonly UsageCounts[]): UsageCounts {
  let total: UsageCounts = { requests: 0, endpoints: {}, statusCodes: {} };
  for (const row of rows) {
    total = {
      requests: total.requests + row.requests,
      endpoints: addCounts({ ...total.endpoints }, row.endpoints, Number.POSITIVE_INFINITY),
      statusCodes: addCounts({ ...total.statusCodes }, row.statusCodes, Number.POSITIVE_INFINITY),
      lastUsedAt: Math.max(total.lastUsedAt ?? 0, row.lastUsedAt ?? 0) || undefined,
    };
  }
  return total;
}
