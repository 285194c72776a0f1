import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type DailyQuota,
  type QuotaReservation,
  type RateLimitDecision,
  RateLimitService,
  RateLimitUnavailableError,
  type TokenBucket,
} from '@auth-platform/rate-limit';
import type { ClientIdentity } from '../auth/client-identity';
import type { LlmProxyEnv } from '../config/env';
import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';

const LIMITER = {
  bucket: 'llm-requests',
  requests: 'llm-daily-requests',
  tokens: 'llm-daily-tokens',
} as const;

function seconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** A request let through the limits: what it holds, to settle once the upstream has answered. */
export interface Admission {
  readonly key: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly tokens?: QuotaReservation;
}

/**
 * Per (product, user): a token bucket and a daily request quota, and optionally a daily token quota. All three
 * live in the rate-limit store (Redis shared by every replica, memory while Redis is away), and each decision is
 * one atomic step there, so concurrent requests and replicas cannot overspend.
 */
@Injectable()
export class RequestLimits {
  readonly tokenQuotaEnabled: boolean;
  private readonly bucket: TokenBucket;
  private readonly requests: DailyQuota;
  private readonly tokens?: DailyQuota;

  constructor(
    private readonly rateLimits: RateLimitService,
    config: ConfigService<LlmProxyEnv, true>,
  ) {
    this.bucket = rateLimits.tokenBucket(LIMITER.bucket, {
      capacity: config.get('API_KEY_SERVER_RATE_LIMIT_CAPACITY', { infer: true }),
      refillPerSecond: config.get('API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND', { infer: true }),
    });
    this.requests = rateLimits.dailyQuota(LIMITER.requests, {
      limit: config.get('API_KEY_SERVER_DAILY_QUOTA', { infer: true }),
    });
    const tokenQuota = config.get('API_KEY_SERVER_DAILY_TOKEN_QUOTA', { infer: true });
    this.tokens = tokenQuota ? rateLimits.dailyQuota(LIMITER.tokens, { limit: tokenQuota }) : undefined;
    this.tokenQuotaEnabled = this.tokens !== undefined;
  }

  /**
   * Takes one request from the bucket and the daily quota (both asked at once: one round trip of latency), then,
   * with a token quota, reserves `reserveTokens`. Whatever was taken is given back when a later step refuses.
   */
  async admit(identity: ClientIdentity, reserveTokens: number): Promise<Admission> {
    const key = `${identity.product}\n${identity.user}`;
    const [bucket, daily] = await this.decide(() =>
      Promise.all([this.bucket.consume(key), this.requests.reserve(key)]),
    );
    this.rateLimits.recordOutcome(LIMITER.bucket, bucket.allowed ? 'allowed' : 'limited');
    this.rateLimits.recordOutcome(LIMITER.requests, daily.allowed ? 'allowed' : 'limited');
    const headers = this.headersOf(bucket);
    if (!bucket.allowed) {
      this.refund(this.requests, key, daily);
      throw new ProxyException(
        ProxyErrorCode.RATE_LIMITED,
        'rate limit exceeded for this product and user; retry after the time in Retry-After',
        {
          headers: {
            ...headers,
            ...(Number.isFinite(bucket.retryAfterMs) ? { 'Retry-After': seconds(bucket.retryAfterMs) } : {}),
          },
        },
      );
    }
    if (!daily.allowed) {
      throw new ProxyException(
        ProxyErrorCode.DAILY_QUOTA_EXCEEDED,
        `daily quota of ${daily.limit} requests exceeded for this product and user`,
        {
          headers: { ...headers, 'Retry-After': seconds(daily.retryAfterMs) },
        },
      );
    }
    const tokenQuota = this.tokens;
    if (!tokenQuota) return { key, headers };
    const tokens = await this.decide(() => tokenQuota.reserve(key, reserveTokens));
    this.rateLimits.recordOutcome(LIMITER.tokens, tokens.allowed ? 'allowed' : 'limited');
    if (!tokens.allowed) {
      this.refund(this.requests, key, daily);
      throw new ProxyException(
        ProxyErrorCode.TOKEN_QUOTA_EXCEEDED,
        `daily token quota exceeded for this product and user: ${tokens.remaining} of ${tokens.limit} tokens left today, this request needs up to ${reserveTokens}`,
        { headers: { ...headers, 'Retry-After': seconds(tokens.retryAfterMs) } },
      );
    }
    return { key, headers, tokens };
  }

  /**
   * Settles the token reservation to the tokens really used: the unused part goes back; usage beyond the
   * reservation (an estimate of the prompt fell short) is taken when the quota still has it. Unknown usage keeps the
   * whole reservation.
   */
  async settle(admission: Admission, usedTokens: number | undefined): Promise<void> {
    const reservation = admission.tokens;
    if (!reservation || !this.tokens || usedTokens === undefined) return;
    try {
      if (usedTokens < reservation.units)
        await this.tokens.refund(admission.key, reservation, reservation.units - usedTokens);
      else if (usedTokens > reservation.units)
        await this.tokens.reserve(admission.key, usedTokens - reservation.units);
    } catch {
      // The store is unreachable under the closed policy; the reservation stands, which errs on the safe side.
    }
  }

  /** Gives the whole token reservation back: the upstream did no work. */
  release(admission: Admission): void {
    if (admission.tokens && this.tokens) this.refund(this.tokens, admission.key, admission.tokens);
  }

  private headersOf(bucket: RateLimitDecision): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(bucket.limit),
      'X-RateLimit-Remaining': String(bucket.remaining),
      'X-RateLimit-Reset': String(Math.max(0, Math.ceil(bucket.resetAfterMs / 1000))),
    };
  }

  private refund(quota: DailyQuota, key: string, reservation: QuotaReservation): void {
    if (reservation.allowed) void quota.refund(key, reservation).catch(() => undefined);
  }

  private async decide<T>(decision: () => Promise<T>): Promise<T> {
    try {
      return await decision();
    } catch (error) {
      if (!(error instanceof RateLimitUnavailableError)) throw error;
      throw new ProxyException(
        ProxyErrorCode.LIMITS_UNAVAILABLE,
        'rate limiting is unavailable; try again shortly',
      );
    }
  }
}
