import { hash } from 'node:crypto';
import { assertTimeZone } from './clock';
import type {
  DailyQuotaConfig,
  FixedWindowConfig,
  FixedWindowDecision,
  QuotaReservation,
  RateLimitDecision,
  RateLimitStore,
  TokenBucketConfig,
} from './types';

/**
 * Callers' keys (API keys, user ids) are hashed before they reach a store, so no credential ever becomes a Redis
 * key or a memory map entry.
 */
function storeKey(name: string, key: string): string {
  return `${name}:${hash('sha256', key, 'base64url').slice(0, 22)}`;
}

function positive(name: string, field: string, value: number, integer = false): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`rate limiter "${name}": ${field} must be a positive ${integer ? 'integer' : 'number'}`);
  }
}

function positiveUnits(units: number): void {
  if (!Number.isInteger(units) || units < 1) throw new RangeError('units must be a positive integer');
}

/** Bursts up to `capacity`, sustained `refillPerSecond`. */
export class TokenBucket {
  constructor(
    private readonly store: RateLimitStore,
    readonly name: string,
    readonly config: TokenBucketConfig,
  ) {
    positive(name, 'capacity', config.capacity);
    positive(name, 'refillPerSecond', config.refillPerSecond);
  }

  consume(key: string, cost = 1): Promise<RateLimitDecision> {
    positiveUnits(cost);
    return this.store.consumeTokenBucket(storeKey(this.name, key), this.config, cost);
  }
}

/** At most `limit` per window of `windowMs`, the window starting at a key's first hit. */
export class FixedWindow {
  constructor(
    private readonly store: RateLimitStore,
    readonly name: string,
    readonly config: FixedWindowConfig,
  ) {
    positive(name, 'limit', config.limit, true);
    positive(name, 'windowMs', config.windowMs, true);
  }

  consume(key: string, cost = 1): Promise<FixedWindowDecision> {
    positiveUnits(cost);
    return this.store.consumeFixedWindow(storeKey(this.name, key), this.config, cost);
  }
}

/**
 * `limit` units per calendar day in `timeZone`. Reserve before the work (all or nothing), refund what was not
 * used after it: a request reserving its `max_tokens` and settling to its real usage cannot overspend, however
 * many run at once.
 */
export class DailyQuota {
  constructor(
    private readonly store: RateLimitStore,
    readonly name: string,
    readonly config: DailyQuotaConfig,
  ) {
    positive(name, 'limit', config.limit, true);
    assertTimeZone(config.timeZone ?? 'UTC');
  }

  reserve(key: string, units = 1): Promise<QuotaReservation> {
    positiveUnits(units);
    return this.store.reserveDailyQuota(storeKey(this.name, key), this.config, units);
  }

  /** Gives back units of an allowed reservation (all of them by default). */
  async refund(key: string, reservation: QuotaReservation, units = reservation.units): Promise<void> {
    if (!reservation.allowed || units <= 0) return;
    positiveUnits(units);
    await this.store.refundDailyQuota(storeKey(this.name, key), this.config, reservation.day, Math.min(units, reservation.units));
  }
}
