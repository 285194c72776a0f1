export { RateLimitModule, type RateLimitModuleAsyncOptions } from './lib/rate-limit.module';
export { type LimiterDefinition, type RateLimitModuleOptions } from './lib/rate-limit.options';
export { RateLimitService, type LimiterOutcome, type RateLimitStatus, type RouteLimiter } from './lib/rate-limit.service';
export { RateLimit, RateLimitGuard, enforceRateLimit, type RateLimitKey } from './lib/rate-limit.guard';
export { RateLimitThrottlerStorage } from './lib/throttler.storage';
export { DailyQuota, FixedWindow, TokenBucket } from './lib/limiters';
export { MemoryStore, type MemoryStoreOptions } from './lib/memory.store';
export { RedisStore } from './lib/redis.store';
export { ResilientStore, type ModeChange, type RedisFailurePolicy, type ResilientStoreOptions, type StoreMode } from './lib/resilient.store';
export { createLimiterRedisClient, type LimiterRedisOptions } from './lib/redis-client';
export {
  RateLimitUnavailableError,
  type DailyQuotaConfig,
  type FixedWindowConfig,
  type FixedWindowDecision,
  type QuotaReservation,
  type RateLimitDecision,
  type RateLimitStore,
  type TokenBucketConfig,
} from './lib/types';
