import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HotPathCounter, MetricsService } from '@auth-platform/platform';
import type { ClientIdentity } from '../auth/client-identity';
import type { LlmProxyEnv } from '../config/env';
import { ProxyRedis } from '../redis/proxy-redis';
import {
  COUNTER_SUFFIX,
  type DayUsage,
  type TokenUsage,
  UsageLedger,
  type UsageRow,
  addDayUsage,
  rowsFromHash,
  toRows,
  usageDay,
} from './usage-ledger';

/** Usage is written to Redis in batches this often: one round trip per second instead of one per request. */
const FLUSH_INTERVAL_MS = 1000;

export interface UsageReport {
  readonly day: string;
  /** Where the numbers come from: Redis (every replica) or this process only. */
  readonly source: 'redis' | 'memory';
  /** True when Redis is configured but unreachable: the numbers are this replica's unflushed share only. */
  readonly partial: boolean;
  readonly rows: readonly UsageRow[];
}

/**
 * Requests, prompt and completion tokens per product, user and UTC day, next to the limits in Redis (one hash per
 * day under API_KEY_SERVER_REDIS_PREFIX). Counted in memory first and flushed every second; a flush that fails is
 * kept and retried, so a Redis outage delays usage instead of losing it. Without Redis, memory is the store.
 */
@Injectable()
export class UsageService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Usage');
  private readonly pending = new UsageLedger();
  private readonly retentionDays: number;
  private readonly requests: HotPathCounter<'product'>;
  private readonly tokens: HotPathCounter<'product' | 'type'>;
  private today = { day: '', endsAt: 0 };
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private lastPrunedDay = '';

  constructor(
    private readonly redis: ProxyRedis,
    config: ConfigService<LlmProxyEnv, true>,
    metrics: MetricsService,
  ) {
    this.retentionDays = config.get('API_KEY_SERVER_USAGE_RETENTION_DAYS', { infer: true });
    const registry = metrics.registry;
    this.requests = new HotPathCounter({
      name: 'llm_proxy_usage_requests_total',
      help: 'Requests forwarded upstream, by product',
      labelNames: ['product'],
      registry,
    });
    this.tokens = new HotPathCounter({
      name: 'llm_proxy_usage_tokens_total',
      help: 'Tokens used, by product and type (prompt, completion)',
      labelNames: ['product', 'type'],
      registry,
    });
  }

  onModuleInit(): void {
    if (!this.redis.client) return;
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** One request forwarded upstream, with its token usage when known. */
  record(identity: ClientIdentity, usage: TokenUsage | undefined, now = Date.now()): void {
    const day = this.dayOf(now);
    const promptTokens = usage?.promptTokens ?? 0;
    const completionTokens = usage?.completionTokens ?? 0;
    this.pending.add(day, identity.product, identity.user, { requests: 1, promptTokens, completionTokens });
    this.requests.inc(identity.product);
    if (promptTokens > 0) this.tokens.add(promptTokens, identity.product, 'prompt');
    if (completionTokens > 0) this.tokens.add(completionTokens, identity.product, 'completion');
    if (!this.redis.client && day !== this.lastPrunedDay) {
      this.lastPrunedDay = day;
      this.pending.prune(day, this.retentionDays);
    }
  }

  async report(day: string, filter: { product?: string; user?: string } = {}): Promise<UsageReport> {
    // Taken in the same tick as HGETALL is sent: a flush drained earlier sent its MULTI earlier on this connection,
    // so Redis answers with it included; one drained later is still in this copy. Nothing counts twice or not at all.
    const merged: DayUsage = new Map();
    addDayUsage(merged, this.pending.day(day));
    let source: UsageReport['source'] = 'memory';
    let partial = false;
    if (this.redis.client) {
      const client = this.redis.available;
      try {
        if (!client) throw new Error('Redis is not connected');
        addDayUsage(merged, rowsFromHash(await client.hgetall(this.key(day))));
        source = 'redis';
      } catch {
        partial = true;
      }
    }
    const rows = toRows(merged).filter(
      (row) =>
        (filter.product === undefined || row.product === filter.product) &&
        (filter.user === undefined || row.user === filter.user),
    );
    return { day, source, partial, rows };
  }

  /** Writes the pending counts to Redis in one transaction; on failure they stay pending for the next try. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const client = this.redis.available;
    if (!client || this.pending.empty) return;
    const drained = this.pending.drain();
    try {
      const transaction = client.multi();
      for (const [day, usage] of drained) {
        const key = this.key(day);
        for (const [field, counts] of usage) {
          if (counts.requests)
            transaction.hincrby(key, `${field}|${COUNTER_SUFFIX.requests}`, counts.requests);
          if (counts.promptTokens)
            transaction.hincrby(key, `${field}|${COUNTER_SUFFIX.promptTokens}`, counts.promptTokens);
          if (counts.completionTokens)
            transaction.hincrby(key, `${field}|${COUNTER_SUFFIX.completionTokens}`, counts.completionTokens);
        }
        transaction.expire(key, this.retentionDays * 86_400);
      }
      // MULTI/EXEC: all of it is written or none, so a failed flush can be retried without counting twice.
      const results = await transaction.exec();
      if (!results) throw new Error('transaction aborted');
    } catch (error) {
      this.pending.restore(drained);
      this.logger.warn(
        { event: 'usage_flush_failed', reason: error instanceof Error ? error.message : String(error) },
        'usage kept for the next flush',
      );
    }
  }

  /** The UTC day, worked out again only once midnight has passed. */
  private dayOf(now: number): string {
    if (now >= this.today.endsAt || now < this.today.endsAt - 86_400_000) {
      this.today = { day: usageDay(now), endsAt: (Math.floor(now / 86_400_000) + 1) * 86_400_000 };
    }
    return this.today.day;
  }

  private key(day: string): string {
    return `${this.redis.keyPrefix}:usage:${day}`;
  }
}
