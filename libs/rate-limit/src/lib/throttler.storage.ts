import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitService } from './rate-limit.service';
import { RateLimitUnavailableError } from './types';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * `@nestjs/throttler` storage on the same stores (Redis with its fallback, or memory), so `@Throttle` limits are
 * shared by replicas too. Throttler gives ttl and block duration in ms and wants seconds back.
 */
@Injectable()
export class RateLimitThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly rateLimits: RateLimitService) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const window = this.rateLimits.fixedWindow(`throttler:${throttlerName}`, { limit, windowMs: ttl, blockMs: blockDuration });
    const decision = await window.consume(key).catch((error: unknown) => {
      if (error instanceof RateLimitUnavailableError) throw new ServiceUnavailableException('Rate limiting is unavailable; try again shortly');
      throw error;
    });
    return {
      totalHits: decision.hits,
      timeToExpire: Math.ceil(decision.resetAfterMs / 1000),
      isBlocked: !decision.allowed,
      timeToBlockExpire: decision.allowed ? 0 : Math.ceil(decision.retryAfterMs / 1000),
    };
  }
}
