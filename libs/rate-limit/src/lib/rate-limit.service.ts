import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { ReadinessRegistry } from '@auth-platform/health';
import { HotPathCounter, MetricsService } from '@auth-platform/platform';
import type Redis from 'ioredis';
import { Gauge } from 'prom-client';
import { DailyQuota, FixedWindow, TokenBucket } from './limiters';
import { MemoryStore } from './memory.store';
import { createLimiterRedisClient } from './redis-client';
import { RedisStore } from './redis.store';
import { RATE_LIMIT_OPTIONS, type RateLimitModuleOptions } from './rate-limit.options';
import { type ModeChange, type RedisFailurePolicy, ResilientStore } from './resilient.store';
import type { DailyQuotaConfig, FixedWindowConfig, RateLimitDecision, RateLimitStore, TokenBucketConfig } from './types';

export type LimiterOutcome = 'allowed' | 'limited' | 'unavailable';

export interface RateLimitStatus {
  readonly store: 'redis' | 'memory';
  readonly mode: 'redis' | 'fallback' | 'memory';
  readonly policy: RedisFailurePolicy | null;
}

export interface RouteLimiter {
  readonly name: string;
  consume(key: string, cost?: number): Promise<RateLimitDecision>;
}

/** Owns the store (Redis with its fallback, or memory) and makes limiters on it. */
@Injectable()
export class RateLimitService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  readonly store: RateLimitStore;
  private readonly logger = new Logger('RateLimit');
  private readonly resilient?: ResilientStore;
  private readonly redis?: Redis;
  private readonly routeLimiters = new Map<string, RouteLimiter>();
  private readonly decisions?: HotPathCounter<'limiter' | 'outcome'>;
  private readonly fallbackActive?: Gauge;

  constructor(
    @Inject(RATE_LIMIT_OPTIONS) options: RateLimitModuleOptions,
    @Optional() private readonly readiness?: ReadinessRegistry,
    @Optional() metrics?: MetricsService,
  ) {
    if (metrics) {
      this.decisions = new HotPathCounter({
        name: 'rate_limit_decisions_total',
        help: 'Rate limiter decisions by limiter and outcome',
        labelNames: ['limiter', 'outcome'],
        registry: metrics.registry,
      });
      this.fallbackActive = new Gauge({
        name: 'rate_limit_fallback_active',
        help: '1 while Redis is unreachable and limits follow the failure policy',
        registers: [metrics.registry],
      });
    }
    const memory = new MemoryStore({ maxKeys: options.memoryMaxKeys });
    if (!options.redisUrl) {
      this.store = memory;
    } else {
      const client = createLimiterRedisClient(options.redisUrl, { commandTimeoutMs: options.commandTimeoutMs });
      this.redis = client;
      // Connection errors surface as fallback decisions; this listener keeps ioredis from reporting them unhandled.
      client.on('error', () => undefined);
      this.resilient = new ResilientStore(new RedisStore(client, options.keyPrefix ?? 'rate-limit'), memory, {
        policy: options.onRedisFailure ?? 'memory',
        onModeChange: (change) => this.onModeChange(change),
      });
      this.store = this.resilient;
    }
    for (const [name, definition] of Object.entries(options.limiters ?? {})) {
      this.routeLimiters.set(
        name,
        definition.algorithm === 'token-bucket'
          ? this.tokenBucket(name, definition)
          : this.fixedWindow(name, definition),
      );
    }
  }

  tokenBucket(name: string, config: TokenBucketConfig): TokenBucket {
    return new TokenBucket(this.store, name, config);
  }

  fixedWindow(name: string, config: FixedWindowConfig): FixedWindow {
    return new FixedWindow(this.store, name, config);
  }

  dailyQuota(name: string, config: DailyQuotaConfig): DailyQuota {
    return new DailyQuota(this.store, name, config);
  }

  /** A limiter named in the module options, for `@RateLimit(name)`. */
  routeLimiter(name: string): RouteLimiter {
    const limiter = this.routeLimiters.get(name);
    if (!limiter) throw new Error(`no rate limiter named "${name}" is configured`);
    return limiter;
  }

  recordOutcome(limiter: string, outcome: LimiterOutcome): void {
    this.decisions?.inc(limiter, outcome);
  }

  status(): RateLimitStatus {
    if (!this.resilient) return { store: 'memory', mode: 'memory', policy: null };
    return { store: 'redis', mode: this.resilient.mode, policy: this.resilient.policy };
  }

  onModuleInit(): void {
    this.readiness?.register('rate-limit', async () => {
      const status = this.status();
      if (status.mode === 'fallback' && status.policy === 'closed') {
        throw new Error('Redis is unreachable and the failure policy is closed: limited routes answer 503');
      }
      return { ...status };
    });
  }

  /** Gives Redis a moment to connect before traffic, so the first requests are not decided by the fallback. */
  async onApplicationBootstrap(): Promise<void> {
    const client = this.redis;
    if (!client || client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const client = this.redis;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  private onModeChange(change: ModeChange): void {
    this.fallbackActive?.set(change.mode === 'fallback' ? 1 : 0);
    if (change.mode === 'fallback') {
      this.logger.warn({ event: 'rate_limit_fallback', policy: change.policy, reason: change.reason }, 'Redis unreachable');
    } else {
      this.logger.log({ event: 'rate_limit_recovered' }, 'Redis reachable again');
    }
  }
}
