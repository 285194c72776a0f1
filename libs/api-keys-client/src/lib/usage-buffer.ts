/** One record of `POST /auth/keys/batch/usage`, in the client's names. */
export interface UsageRecord {
  readonly keyId: string;
  readonly endpoint: string;
  readonly statusCode: number;
  readonly count: number;
}

/** The most one record may count (the manager refuses larger counts); more stays for the next batch. */
export const MAX_RECORD_COUNT = 1_000_000;

interface Pending {
  readonly keyId: string;
  readonly endpoint: string;
  readonly statusCode: number;
  count: number;
}

function recordKey(keyId: string, endpoint: string, statusCode: number): string {
  return `${keyId} ${statusCode} ${endpoint}`;
}

/**
 * Usage counted in memory until it is reported: one record per (key, endpoint, status), at most `maxRecords` of
 * them. A batch taken for sending leaves the buffer; if sending fails it is put back, merged with what was counted
 * meanwhile, so a transient fault loses nothing unless the buffer filled up in the meantime.
 */
export class UsageBuffer {
  private readonly pending = new Map<string, Pending>();
  private requests = 0;

  constructor(private readonly maxRecords: number) {}

  /** Distinct (key, endpoint, status) records waiting. */
  get pendingRecords(): number {
    return this.pending.size;
  }

  /** Requests counted and not yet reported. */
  get pendingRequests(): number {
    return this.requests;
  }

  /** Counts usage; false when it would need a new record and the buffer is full (the usage is then not kept). */
  add(keyId: string, endpoint: string, statusCode: number, count: number): boolean {
    const key = recordKey(keyId, endpoint, statusCode);
    const existing = this.pending.get(key);
    if (existing) existing.count += count;
    else if (this.pending.size >= this.maxRecords) return false;
    else this.pending.set(key, { keyId, endpoint, statusCode, count });
    this.requests += count;
    return true;
  }

  /** Removes and returns up to `maxRecords` records, oldest first, each counting at most MAX_RECORD_COUNT. */
  take(maxRecords: number): UsageRecord[] {
    const batch: UsageRecord[] = [];
    for (const [key, item] of this.pending) {
      if (batch.length >= maxRecords) break;
      const count = Math.min(item.count, MAX_RECORD_COUNT);
      batch.push({ keyId: item.keyId, endpoint: item.endpoint, statusCode: item.statusCode, count });
      if (count === item.count) this.pending.delete(key);
      else item.count -= count;
      this.requests -= count;
    }
    return batch;
  }

  /** Puts back a batch that could not be sent; returns the requests that found no room and are lost. */
  restore(batch: readonly UsageRecord[]): number {
    let lost = 0;
    for (const record of batch) {
      if (!this.add(record.keyId, record.endpoint, record.statusCode, record.count)) lost += record.count;
    }
    return lost;
  }
}
