import { localDay, utcOffsetMs } from './clock';
import { type BucketState, bucketTtlMs, takeTokens } from './token-bucket';
import type {
  DailyQuotaConfig,
  FixedWindowConfig,
  FixedWindowDecision,
  QuotaReservation,
  RateLimitDecision,
  RateLimitStore,
  TokenBucketConfig,
} from './types';

type Entry =
  | { kind: 'bucket'; state: BucketState; expiresAt: number }
  | { kind: 'window'; hits: number; expiresAt: number; blockedUntil: number }
  | { kind: 'quota'; used: number; expiresAt: number };

export interface MemoryStoreOptions {
  /** At most this many keys are kept; the least recently used go first (default 100,000). */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

/**
 * Limiter state in this process: exact for one replica, and the fallback when Redis is down. Bounded, so a flood
 * of distinct keys evicts the least recently used instead of growing memory without end.
 */
export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError('maxKeys must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  async consumeTokenBucket(key: string, config: TokenBucketConfig, cost: number): Promise<RateLimitDecision> {
    const now = this.now();
    const entry = this.read(key, 'bucket', now);
    const { state, decision } = takeTokens(entry?.state, config, cost, now);
    this.write(key, { kind: 'bucket', state, expiresAt: now + bucketTtlMs(config) });
    return decision;
  }

  async consumeFixedWindow(key: string, config: FixedWindowConfig, cost: number): Promise<FixedWindowDecision> {
    const now = this.now();
    const entry = this.read(key, 'window', now) ?? { kind: 'window', hits: 0, expiresAt: now + config.windowMs, blockedUntil: 0 };
    const windowLeft = entry.expiresAt - now;
    if (entry.blockedUntil > now) {
      this.write(key, entry);
      return windowDecision(false, entry.hits, config, windowLeft, entry.blockedUntil - now);
    }
    entry.hits += cost;
    if (entry.hits > config.limit) {
      const blockMs = config.blockMs && config.blockMs > 0 ? config.blockMs : windowLeft;
      entry.blockedUntil = now + blockMs;
      entry.expiresAt = Math.max(entry.expiresAt, entry.blockedUntil);
      this.write(key, entry);
      return windowDecision(false, entry.hits, config, windowLeft, blockMs);
    }
    this.write(key, entry);
    return windowDecision(true, entry.hits, config, windowLeft, 0);
  }

  async reserveDailyQuota(key: string, config: DailyQuotaConfig, units: number): Promise<QuotaReservation> {
    const now = this.now();
    const { day, msUntilMidnight } = localDay(now, utcOffsetMs(config.timeZone ?? 'UTC', now));
    const dayKey = `${key}:${day}`;
    const entry = this.read(dayKey, 'quota', now) ?? { kind: 'quota', used: 0, expiresAt: now + msUntilMidnight + 3_600_000 };
    const allowed = entry.used + units <= config.limit;
    if (allowed) entry.used += units;
    this.write(dayKey, entry);
    return quotaDecision(allowed, entry.used, config, units, day, msUntilMidnight);
  }

  async refundDailyQuota(key: string, _config: DailyQuotaConfig, day: number, units: number): Promise<void> {
    const dayKey = `${key}:${day}`;
    const entry = this.read(dayKey, 'quota', this.now());
    if (entry) entry.used = Math.max(0, entry.used - units);
  }

  private read<K extends Entry['kind']>(key: string, kind: K, now: number): Extract<Entry, { kind: K }> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now || entry.kind !== kind) {
      this.entries.delete(key);
      return undefined;
    }
    return entry as Extract<Entry, { kind: K }>;
  }

  /** Re-inserting moves a key to the end of the Map's order, which makes the first key the least recently used. */
  private write(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

export function windowDecision(
  allowed: boolean,
  hits: number,
  config: FixedWindowConfig,
  windowLeftMs: number,
  retryAfterMs: number,
): FixedWindowDecision {
  return {
    allowed,
    hits,
    limit: config.limit,
    remaining: Math.max(0, config.limit - hits),
    resetAfterMs: Math.max(0, windowLeftMs),
    retryAfterMs: allowed ? 0 : Math.max(1, retryAfterMs),
  };
}

export function quotaDecision(
  allowed: boolean,
  used: number,
  config: DailyQuotaConfig,
  units: number,
  day: number,
  msUntilMidnight: number,
): QuotaReservation {
  return {
    allowed,
    limit: config.limit,
    remaining: Math.max(0, config.limit - used),
    resetAfterMs: msUntilMidnight,
    retryAfterMs: allowed ? 0 : msUntilMidnight,
    day,
    units,
  };
}
