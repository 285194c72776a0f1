import type { RedisFailurePolicy } from './resilient.store';

export type LimiterDefinition =
  | { readonly algorithm: 'token-bucket'; readonly capacity: number; readonly refillPerSecond: number }
  | { readonly algorithm: 'fixed-window'; readonly limit: number; readonly windowMs: number; readonly blockMs?: number };

export interface RateLimitModuleOptions {
  /** Shared limits across replicas. Without it, limits live in this process (memory store). */
  readonly redisUrl?: string;
  /** Prefix of every Redis key (default `rate-limit`); give each app and environment its own. */
  readonly keyPrefix?: string;
  /** While Redis is unreachable: decide in memory (default) or answer 503. */
  readonly onRedisFailure?: RedisFailurePolicy;
  /** Longest wait for one Redis decision before the failure policy applies (default 250 ms). */
  readonly commandTimeoutMs?: number;
  /** Bound of the memory store, used alone or as the fallback (default 100,000 keys). */
  readonly memoryMaxKeys?: number;
  /** Named limiters that `@RateLimit(name)` routes use. */
  readonly limiters?: Readonly<Record<string, LimiterDefinition>>;
}

export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');
