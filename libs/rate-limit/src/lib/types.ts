/** The outcome of one limiter decision. Times are milliseconds from the decision. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Units still available after this decision (whole units, never negative). */
  readonly remaining: number;
  /** Until the limit is fully available again: the bucket refilled, the window or the day over. */
  readonly resetAfterMs: number;
  /** When refused: how long until the same request could succeed. 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface TokenBucketConfig {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export interface FixedWindowConfig {
  readonly limit: number;
  readonly windowMs: number;
  /** Once over the limit, refuse for this long (default: until the window ends). */
  readonly blockMs?: number;
}

export interface FixedWindowDecision extends RateLimitDecision {
  /** Hits counted in this window, refused ones included (what @nestjs/throttler calls totalHits). */
  readonly hits: number;
}

export interface DailyQuotaConfig {
  readonly limit: number;
  /** IANA time zone whose midnight resets the quota (default UTC). */
  readonly timeZone?: string;
}

export interface QuotaReservation extends RateLimitDecision {
  /** The day the units were taken from; a refund goes back to that day even after midnight. */
  readonly day: number;
  readonly units: number;
}

/**
 * Where limiter state lives. Each method is one atomic decision: no read-modify-write across calls, so
 * concurrent requests, and replicas sharing a store, cannot overspend.
 */
export interface RateLimitStore {
  readonly kind: 'redis' | 'memory' | 'resilient';
  consumeTokenBucket(key: string, config: TokenBucketConfig, cost: number): Promise<RateLimitDecision>;
  consumeFixedWindow(key: string, config: FixedWindowConfig, cost: number): Promise<FixedWindowDecision>;
  reserveDailyQuota(key: string, config: DailyQuotaConfig, units: number): Promise<QuotaReservation>;
  refundDailyQuota(key: string, config: DailyQuotaConfig, day: number, units: number): Promise<void>;
}

/** Raised by the `closed` policy while Redis is unreachable; the Nest guard answers 503. */
export class RateLimitUnavailableError extends Error {
  constructor() {
    super('Rate limiting is unavailable: its store cannot be reached');
    this.name = 'RateLimitUnavailableError';
  }
}
