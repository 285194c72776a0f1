import type { MemoryStore } from './memory.store';
import type { RedisStore } from './redis.store';
import {
  type DailyQuotaConfig,
  type FixedWindowConfig,
  type FixedWindowDecision,
  type QuotaReservation,
  type RateLimitDecision,
  type RateLimitStore,
  RateLimitUnavailableError,
  type TokenBucketConfig,
} from './types';

/** What a limiter does while Redis is unreachable: decide in this process, or refuse (503). */
export type RedisFailurePolicy = 'memory' | 'closed';

export type StoreMode = 'redis' | 'fallback';

export interface ModeChange {
  readonly mode: StoreMode;
  readonly policy: RedisFailurePolicy;
  /** Why Redis was given up (no secrets: ioredis messages name the host, never the password). */
  readonly reason?: string;
}

export interface ResilientStoreOptions {
  readonly policy: RedisFailurePolicy;
  /** While in fallback, try Redis again at most this often (default 1000 ms), so a dead Redis costs no latency. */
  readonly probeIntervalMs?: number;
  readonly onModeChange?: (change: ModeChange) => void;
  readonly now?: () => number;
}

/**
 * Redis first; on a Redis failure, the configured policy. Going to fallback and returning to Redis happen on
 * their own and are reported once each through `onModeChange`.
 */
export class ResilientStore implements RateLimitStore {
  readonly kind = 'resilient';
  private currentMode: StoreMode = 'redis';
  private nextProbeAt = 0;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisStore,
    private readonly memory: MemoryStore,
    private readonly options: ResilientStoreOptions,
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  get mode(): StoreMode {
    return this.currentMode;
  }

  get policy(): RedisFailurePolicy {
    return this.options.policy;
  }

  consumeTokenBucket(key: string, config: TokenBucketConfig, cost: number): Promise<RateLimitDecision> {
    return this.decide((store) => store.consumeTokenBucket(key, config, cost));
  }

  consumeFixedWindow(key: string, config: FixedWindowConfig, cost: number): Promise<FixedWindowDecision> {
    return this.decide((store) => store.consumeFixedWindow(key, config, cost));
  }

  reserveDailyQuota(key: string, config: DailyQuotaConfig, units: number): Promise<QuotaReservation> {
    return this.decide((store) => store.reserveDailyQuota(key, config, units));
  }

  refundDailyQuota(key: string, config: DailyQuotaConfig, day: number, units: number): Promise<void> {
    return this.decide((store) => store.refundDailyQuota(key, config, day, units));
  }

  private async decide<T>(decision: (store: RateLimitStore) => Promise<T>): Promise<T> {
    if (this.currentMode === 'redis' || this.shouldProbe()) {
      try {
        const result = await decision(this.redis);
        this.switchTo('redis');
        return result;
      } catch (error) {
        this.nextProbeAt = this.now() + this.probeIntervalMs;
        this.switchTo('fallback', error instanceof Error ? error.message : String(error));
      }
    }
    if (this.options.policy === 'closed') throw new RateLimitUnavailableError();
    return decision(this.memory);
  }

  /** One request at a time probes Redis once the interval has passed and ioredis says it is connected. */
  private shouldProbe(): boolean {
    if (this.now() < this.nextProbeAt || this.redis.client.status !== 'ready') return false;
    this.nextProbeAt = this.now() + this.probeIntervalMs;
    return true;
  }

  private switchTo(mode: StoreMode, reason?: string): void {
    if (this.currentMode === mode) return;
    this.currentMode = mode;
    this.options.onModeChange?.({ mode, policy: this.options.policy, reason });
  }
}
