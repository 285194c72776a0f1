import type { RateLimitDecision, TokenBucketConfig } from './types';

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/**
 * Token bucket arithmetic, shared by the memory store and mirrored by the Redis script: refill for the time
 * elapsed, then take `cost` tokens if there are enough. A refused request takes nothing.
 */
export function takeTokens(
  state: BucketState | undefined,
  config: TokenBucketConfig,
  cost: number,
  now: number,
): { state: BucketState; decision: RateLimitDecision } {
  const perMs = config.refillPerSecond / 1000;
  let tokens = state ? Math.min(config.capacity, state.tokens + Math.max(0, now - state.updatedAt) * perMs) : config.capacity;
  const allowed = tokens >= cost;
  if (allowed) tokens -= cost;
  return {
    state: { tokens, updatedAt: now },
    decision: {
      allowed,
      limit: config.capacity,
      remaining: Math.floor(tokens),
      resetAfterMs: Math.ceil((config.capacity - tokens) / perMs),
      retryAfterMs: allowed ? 0 : cost > config.capacity ? Number.POSITIVE_INFINITY : Math.ceil((cost - tokens) / perMs),
    },
  };
}

/** How long an untouched bucket must be kept: after this it is full again and can be forgotten. */
export function bucketTtlMs(config: TokenBucketConfig): number {
  return Math.ceil((config.capacity / config.refillPerSecond) * 1000) + 1000;
}
