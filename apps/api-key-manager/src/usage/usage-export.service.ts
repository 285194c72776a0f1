import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditLog } from '../audit/audit.log';
import type { ApiKeyManagerEnv } from '../config/env';
import { AzureStorage, describeStorageFailure } from '../storage/azure-storage.service';
import { statusOf } from '../storage/storage-errors';
import { UsageErrorCode, UsageException } from './usage.exception';
import { UsageService } from './usage.service';
import { UsageStore } from './usage.store';

const DAY_MS = 86_400_000;
/** After a restart, the missed daily export is caught up this long after boot (not during it). */
const CATCH_UP_DELAY_MS = 30_000;

export type BlobOutcome = 'written' | 'existing';

export interface UsageExport {
  readonly date: string;
  readonly container: string;
  readonly usage: { readonly blob: string; readonly records: number; readonly outcome: BlobOutcome };
  readonly audit: { readonly blob: string; readonly records: number; readonly outcome: BlobOutcome };
}

export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD`, a real calendar day, not after today (UTC). */
export function checkExportDate(date: string, now = Date.now()): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || utcDay(Date.parse(`${date}T00:00:00Z`) || 0) !== date) return 'date must be a calendar day as YYYY-MM-DD';
  if (date > utcDay(now)) return 'date must not be in the future';
  return undefined;
}

/** Milliseconds from `now` to the next `minuteOfDay` (UTC). */
export function delayUntil(minuteOfDay: number, now: number): number {
  const todayAt = now - (now % DAY_MS) + minuteOfDay * 60_000;
  return (todayAt > now ? todayAt : todayAt + DAY_MS) - now;
}

/**
 * Writes a day's usage and audit log to Blob Storage as JSON Lines: `usage/<day>.jsonl` and `audit/<day>.jsonl`
 * in USAGE_EXPORT_CONTAINER. Daily at USAGE_EXPORT_AT_UTC for the previous day, and on demand. Blobs are created
 * only if absent (unless overwriting), so replicas running the schedule together write each file once.
 */
@Injectable()
export class UsageExporter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('UsageExport');
  private readonly enabled: boolean;
  private readonly atMinute: number;
  private readonly container: string;
  private daily?: NodeJS.Timeout;
  private catchUp?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    config: ConfigService<ApiKeyManagerEnv, true>,
    private readonly storage: AzureStorage,
    private readonly store: UsageStore,
    private readonly usage: UsageService,
    private readonly audit: AuditLog,
  ) {
    this.enabled = config.get('USAGE_EXPORT_ENABLED', { infer: true });
    this.atMinute = config.get('USAGE_EXPORT_AT_UTC', { infer: true });
    this.container = config.get('USAGE_EXPORT_CONTAINER', { infer: true });
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.scheduleDaily();
    const now = Date.now();
    if (now % DAY_MS >= this.atMinute * 60_000) {
      this.catchUp = setTimeout(() => void this.exportPreviousDay(), CATCH_UP_DELAY_MS);
      this.catchUp.unref();
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.daily);
    clearTimeout(this.catchUp);
  }

  /** The admin route: like the daily run, but a day already exported in full is a 409 unless overwriting. */
  async exportOnDemand(date: string, overwrite: boolean): Promise<UsageExport> {
    const result = await this.exportDay(date, overwrite);
    if (result.usage.outcome === 'existing' && result.audit.outcome === 'existing') {
      throw new UsageException(UsageErrorCode.ALREADY_EXPORTED, `Usage for ${date} was already exported; pass overwrite: true to replace it`);
    }
    return result;
  }

  async exportDay(date: string, overwrite: boolean): Promise<UsageExport> {
    const problem = checkExportDate(date);
    if (problem) throw new UsageException(UsageErrorCode.INVALID_DATE, problem);
    await this.usage.flush();
    const rows = await this.store.rowsOfDay(date);
    const events = await this.audit.eventsOfDay(date);
    const usageLines = rows.map((row) =>
      JSON.stringify({
        date,
        key_id: row.keyId,
        provider_id: row.providerId,
        requests: row.requests,
        by_endpoint: row.endpoints,
        by_status_code: row.statusCodes,
        last_used_at: row.lastUsedAt ? new Date(row.lastUsedAt).toISOString() : null,
      }),
    );
    const auditLines = events.map((event) =>
      JSON.stringify({
        id: event.id,
        type: event.type,
        at: new Date(event.at).toISOString(),
        actor: event.actor,
        key_id: event.keyId,
        provider_id: event.providerId,
        details: event.details,
      }),
    );
    const usageBlob = `usage/${date}.jsonl`;
    const auditBlob = `audit/${date}.jsonl`;
    return {
      date,
      container: this.container,
      usage: { blob: usageBlob, records: usageLines.length, outcome: await this.upload(usageBlob, usageLines, overwrite) },
      audit: { blob: auditBlob, records: auditLines.length, outcome: await this.upload(auditBlob, auditLines, overwrite) },
    };
  }

  private async upload(name: string, lines: readonly string[], overwrite: boolean): Promise<BlobOutcome> {
    const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    return this.storage.run(
      'export_upload',
      async ({ container }, abortSignal) => {
        try {
          await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
            abortSignal,
            blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
            conditions: overwrite ? undefined : { ifNoneMatch: '*' },
          });
          return 'written';
        } catch (error) {
          const status = statusOf(error);
          if (!overwrite && (status === 409 || status === 412)) return 'existing';
          throw error;
        }
      },
      'blob',
    );
  }

  private scheduleDaily(): void {
    if (this.stopped) return;
    this.daily = setTimeout(() => void this.exportPreviousDay().then(() => this.scheduleDaily()), delayUntil(this.atMinute, Date.now()));
    this.daily.unref();
  }

  private async exportPreviousDay(): Promise<void> {
    const date = utcDay(Date.now() - DAY_MS);
    try {
      const result = await this.exportDay(date, false);
      this.logger.log(
        {
          event: 'usage_export',
          date,
          usage_records: result.usage.records,
          audit_records: result.audit.records,
          usage: result.usage.outcome,
          audit: result.audit.outcome,
        },
        'daily export done',
      );
    } catch (error) {
      this.logger.error(
        { event: 'usage_export_failed', date, reason: describeStorageFailure(error) },
        'daily export failed; it runs again at the next schedule, or on demand',
      );
    }
  }
}
