import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '@auth-platform/platform';
import type { ApiKeyManagerEnv } from '../config/env';
import { ApiKeyStore } from '../keys/api-key.store';
import { describeStorageFailure } from '../storage/azure-storage.service';
import { UsageBuffer } from './usage-buffer';
import { type UsageCounts, type UsageRow, sumUsage } from './usage.model';
import { UsageErrorCode, UsageException } from './usage.exception';
import { UsageStore } from './usage.store';

/** One record a gateway reports in `POST /auth/keys/batch/usage`. */
export interface ReportedUsage {
  readonly key_id: string;
  readonly endpoint: string;
  readonly status_code: number;
  readonly count: number;
}

export interface BatchOutcome {
  readonly accepted: number;
  readonly rejected: readonly { readonly index: number; readonly key_id: string; readonly reason: string }[];
}

export interface KeyUsage extends UsageCounts {
  readonly keyId: string;
  readonly days: readonly { readonly day: string; readonly requests: number }[];
}

/** Keys with unsent usage that one replica holds at most (about 1 KB each). */
const MAX_PENDING_KEYS = 100_000;
/** Key ids never change owner, so their existence can be remembered much longer than a verification. */
const KNOWN_KEY_TTL_MS = 10 * 60_000;
const MAX_KNOWN_KEYS = 100_000;
const FLUSH_CONCURRENCY = 8;

/**
 * Counts key usage in memory and writes it every USAGE_FLUSH_INTERVAL_MS, at most one write per key and day
 * per flush. Usage that could not be written stays buffered and is retried, and a graceful shutdown flushes
 * what is left.
 */
@Injectable()
export class UsageService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Usage');
  private readonly buffer = new UsageBuffer(MAX_PENDING_KEYS);
  private readonly flushIntervalMs: number;
  private readonly knownKeys = new Map<string, { providerId: string; until: number }>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly flushes: Counter<'outcome'>;

  constructor(
    config: ConfigService<ApiKeyManagerEnv, true>,
    private readonly store: UsageStore,
    private readonly keys: ApiKeyStore,
    metrics: MetricsService,
  ) {
    this.flushIntervalMs = config.get('USAGE_FLUSH_INTERVAL_MS', { infer: true });
    const registers = [metrics.registry];
    const buffer = this.buffer;
    // Counted by the buffer and read at scrape time: this runs on every verification.
    new Counter({
      name: 'api_key_manager_usage_recorded_total',
      help: 'Requests counted toward key usage',
      registers,
      collect() {
        this.reset();
        this.inc(buffer.recorded);
      },
    });
    this.flushes = new Counter({
      name: 'api_key_manager_usage_flush_writes_total',
      help: 'Usage rows written per flush, by outcome (written, retained)',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'api_key_manager_usage_pending_keys',
      help: 'Key-days with usage not yet written to storage',
      registers,
      collect() {
        this.set(buffer.pending);
      },
    });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.buffer.pending > 0) {
      this.logger.error({ event: 'usage_lost_at_shutdown', pending_keys: this.buffer.pending }, 'usage could not be written before exit');
    }
  }

  /** Counts usage of a key whose owner is known (verification); false when the buffer is full. */
  record(keyId: string, providerId: string, endpoint: string, statusCode: number, count = 1): boolean {
    this.rememberKey(keyId, providerId);
    return this.buffer.record(keyId, providerId, endpoint, statusCode, count);
  }

  /** Gateway reports: records for unknown keys are refused one by one; the rest are counted. */
  async recordBatch(records: readonly ReportedUsage[]): Promise<BatchOutcome> {
    const owners = new Map<string, string | undefined>();
    for (const { key_id } of records) if (!owners.has(key_id)) owners.set(key_id, await this.ownerOf(key_id));
    // All or nothing, so a gateway retrying a refused batch never counts part of it twice.
    if (!this.buffer.hasRoomFor(owners.size)) {
      throw new UsageException(UsageErrorCode.BUFFER_FULL, 'Usage buffer is full while storage catches up; retry shortly');
    }
    const rejected: { index: number; key_id: string; reason: string }[] = [];
    let accepted = 0;
    records.forEach((item, index) => {
      const providerId = owners.get(item.key_id);
      if (providerId === undefined) {
        rejected.push({ index, key_id: item.key_id, reason: 'unknown key_id' });
        return;
      }
      this.buffer.record(item.key_id, providerId, item.endpoint, item.status_code, item.count);
      accepted += item.count;
    });
    return { accepted, rejected };
  }

  /** Stored usage of a key over all days (what other replicas have not flushed yet is not included). */
  async usageOf(keyId: string): Promise<KeyUsage> {
    if ((await this.ownerOf(keyId)) === undefined) throw new UsageException(UsageErrorCode.KEY_NOT_FOUND, `API key ${keyId} not found`);
    const rows: UsageRow[] = await this.store.rowsOfKey(keyId);
    rows.sort((a, b) => a.day.localeCompare(b.day));
    return { keyId, ...sumUsage(rows), days: rows.map((row) => ({ day: row.day, requests: row.requests })) };
  }

  /** Writes what is buffered; overlapping calls share one flush. */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.writePending().finally(() => {
        this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const pending = this.buffer.drain();
    if (pending.length === 0) return;
    const queue = [...pending];
    let failure: unknown;
    const worker = async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        try {
          await this.store.apply(item);
          this.buffer.settle(item.flushId);
          this.flushes.inc({ outcome: 'written' });
        } catch (error) {
          failure = error;
          this.flushes.inc({ outcome: 'retained' });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, pending.length) }, worker));
    if (failure !== undefined) {
      this.logger.warn(
        { event: 'usage_flush_retained', pending_keys: this.buffer.pending, reason: describeStorageFailure(failure) },
        'usage kept in memory until storage accepts it',
      );
    }
  }

  private async ownerOf(keyId: string): Promise<string | undefined> {
    const known = this.knownKeys.get(keyId);
    if (known && known.until > Date.now()) return known.providerId;
    const stored = await this.keys.findById(keyId);
    if (stored) this.rememberKey(keyId, stored.record.providerId);
    return stored?.record.providerId;
  }

  private rememberKey(keyId: string, providerId: string): void {
    const known = this.knownKeys.get(keyId);
    if (known && known.until > Date.now()) return;
    this.knownKeys.delete(keyId);
    if (this.knownKeys.size >= MAX_KNOWN_KEYS) {
      const oldest = this.knownKeys.keys().next().value;
      if (oldest !== undefined) this.knownKeys.delete(oldest);
    }
    this.knownKeys.set(keyId, { providerId, until: Date.now() + KNOWN_KEY_TTL_MS });
  }
}
