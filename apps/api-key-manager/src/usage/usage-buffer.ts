import { randomUUID } from 'node:crypto';
import { MAX_ENDPOINTS_PER_DAY, OTHER_ENDPOINTS, type PendingUsage } from './usage.model';

interface Accumulator {
  readonly keyId: string;
  readonly providerId: string;
  readonly day: string;
  requests: number;
  readonly endpoints: Map<string, number>;
  readonly statusCodes: Map<string, number>;
  lastUsedAt: number;
}

const DAY_MS = 86_400_000;

/**
 * Usage counted in memory between flushes: one accumulator per key and day, so a flush writes each key at most
 * once. Drained entries wait in an outbox, with their flush id, until their write is confirmed: a failed write is
 * retried with the same id (and so applied once) on the next flush.
 */
export class UsageBuffer {
  private current = new Map<string, Accumulator>();
  private readonly outbox = new Map<string, PendingUsage>();
  private readonly replica = randomUUID().slice(0, 8);
  private sequence = 0;
  private counted = 0;
  private dayStart = 0;
  private dayName = '';

  constructor(
    /** Most keys with unsent usage; beyond it new usage is refused rather than growing memory without end. */
    private readonly maxPendingKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys (per day) with usage not yet confirmed written. */
  get pending(): number {
    return this.current.size + this.outbox.size;
  }

  /** Requests counted since start, for metrics. */
  get recorded(): number {
    return this.counted;
  }

  /** Whether usage for `keys` more keys would fit. */
  hasRoomFor(keys: number): boolean {
    return this.pending + keys <= this.maxPendingKeys;
  }

  /** Counts `count` requests; false when the buffer is full. */
  record(keyId: string, providerId: string, endpoint: string, statusCode: number, count = 1): boolean {
    const at = this.now();
    const day = this.dayOf(at);
    const slot = `${keyId}|${day}`;
    let entry = this.current.get(slot);
    if (!entry) {
      if (this.pending >= this.maxPendingKeys) return false;
      entry = { keyId, providerId, day, requests: 0, endpoints: new Map(), statusCodes: new Map(), lastUsedAt: 0 };
      this.current.set(slot, entry);
    }
    entry.requests += count;
    this.counted += count;
    const endpointSlot = entry.endpoints.has(endpoint) || entry.endpoints.size < MAX_ENDPOINTS_PER_DAY ? endpoint : OTHER_ENDPOINTS;
    entry.endpoints.set(endpointSlot, (entry.endpoints.get(endpointSlot) ?? 0) + count);
    const status = String(statusCode);
    entry.statusCodes.set(status, (entry.statusCodes.get(status) ?? 0) + count);
    if (at > entry.lastUsedAt) entry.lastUsedAt = at;
    return true;
  }

  /** Everything to write now: earlier unconfirmed entries first, then what was counted since the last drain. */
  drain(): PendingUsage[] {
    const drained = this.current;
    this.current = new Map();
    for (const entry of drained.values()) {
      const flushId = `${this.replica}:${++this.sequence}`;
      this.outbox.set(flushId, {
        flushId,
        keyId: entry.keyId,
        providerId: entry.providerId,
        day: entry.day,
        counts: {
          requests: entry.requests,
          endpoints: Object.fromEntries(entry.endpoints),
          statusCodes: Object.fromEntries(entry.statusCodes),
          lastUsedAt: entry.lastUsedAt,
        },
      });
    }
    return [...this.outbox.values()];
  }

  /** The write of this flush is confirmed. */
  settle(flushId: string): void {
    this.outbox.delete(flushId);
  }

  private dayOf(at: number): string {
    if (at < this.dayStart || at >= this.dayStart + DAY_MS) {
      this.dayStart = at - (at % DAY_MS);
      this.dayName = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.dayName;
  }
}
