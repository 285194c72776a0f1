import type Redis from 'ioredis';
import { utcOffsetMs } from './clock';
import { quotaDecision, windowDecision } from './memory.store';
import { DAILY_QUOTA_REFUND, DAILY_QUOTA_RESERVE, FIXED_WINDOW, TOKEN_BUCKET } from './redis-scripts';
import { bucketTtlMs } from './token-bucket';
import type {
  DailyQuotaConfig,
  FixedWindowConfig,
  FixedWindowDecision,
  QuotaReservation,
  RateLimitDecision,
  RateLimitStore,
  TokenBucketConfig,
} from './types';

type ScriptReply = [number, number | string, number, number];

interface LimiterCommands {
  rlTokenBucket(key: string, capacity: number, perMs: number, cost: number, ttlMs: number): Promise<ScriptReply>;
  rlFixedWindow(counter: string, block: string, limit: number, windowMs: number, cost: number, blockMs: number): Promise<ScriptReply>;
  rlQuotaReserve(base: string, limit: number, units: number, offsetMs: number): Promise<ScriptReply>;
  rlQuotaRefund(base: string, day: number, units: number): Promise<number>;
}

const COMMANDS = {
  rlTokenBucket: { numberOfKeys: 1, lua: TOKEN_BUCKET },
  rlFixedWindow: { numberOfKeys: 2, lua: FIXED_WINDOW },
  rlQuotaReserve: { numberOfKeys: 1, lua: DAILY_QUOTA_RESERVE },
  rlQuotaRefund: { numberOfKeys: 1, lua: DAILY_QUOTA_REFUND },
} as const;

/** Limiter state in Redis, shared by every replica: N replicas enforce one limit, not N. */
export class RedisStore implements RateLimitStore {
  readonly kind = 'redis';
  private readonly commands: LimiterCommands;

  constructor(
    readonly client: Redis,
    private readonly keyPrefix: string,
  ) {
    for (const [name, definition] of Object.entries(COMMANDS)) {
      if (!(name in client)) client.defineCommand(name, definition);
    }
    this.commands = client as unknown as LimiterCommands;
  }

  async consumeTokenBucket(key: string, config: TokenBucketConfig, cost: number): Promise<RateLimitDecision> {
    const perMs = config.refillPerSecond / 1000;
    const [allowed, tokens, retry, reset] = await this.commands.rlTokenBucket(
      this.key('tb', key),
      config.capacity,
      perMs,
      cost,
      bucketTtlMs(config),
    );
    return {
      allowed: allowed === 1,
      limit: config.capacity,
      remaining: Math.floor(Number(tokens)),
      resetAfterMs: reset,
      retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
    };
  }

  async consumeFixedWindow(key: string, config: FixedWindowConfig, cost: number): Promise<FixedWindowDecision> {
    const base = this.key('fw', key);
    const [allowed, hits, left, retry] = await this.commands.rlFixedWindow(
      `${base}:n`,
      `${base}:b`,
      config.limit,
      config.windowMs,
      cost,
      config.blockMs ?? 0,
    );
    return windowDecision(allowed === 1, Number(hits), config, left, retry);
  }

  async reserveDailyQuota(key: string, config: DailyQuotaConfig, units: number): Promise<QuotaReservation> {
    const offset = utcOffsetMs(config.timeZone ?? 'UTC', Date.now());
    const [allowed, used, toMidnight, day] = await this.commands.rlQuotaReserve(this.key('dq', key), config.limit, units, offset);
    return quotaDecision(allowed === 1, Number(used), config, units, day, toMidnight);
  }

  async refundDailyQuota(key: string, _config: DailyQuotaConfig, day: number, units: number): Promise<void> {
    await this.commands.rlQuotaRefund(this.key('dq', key), day, units);
  }

  /** `{...}` is a Redis Cluster hash tag: a limiter's keys (counter and block marker, each day) share one slot. */
  private key(kind: string, key: string): string {
    return `${this.keyPrefix}:{${kind}:${key}}`;
  }
}
