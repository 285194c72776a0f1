import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { type TableEntityResult, odata } from '@azure/data-tables';
import { Counter } from 'prom-client';
import { MetricsService } from '@auth-platform/platform';
import { AzureStorage } from '../storage/azure-storage.service';
import { statusOf } from '../storage/storage-errors';
import { type PendingUsage, type UsageRow, applyFlush } from './usage.model';
import { UsageStore, UsageWriteConflictError } from './usage.store';

const MAX_CONFLICT_ATTEMPTS = 12;

type UsageEntity = Record<string, unknown>;

function parseCounts(value: unknown): Record<string, number> {
  if (typeof value !== 'string') return {};
  const parsed = JSON.parse(value) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

function fromEntity(entity: UsageEntity): UsageRow {
  const applied: unknown = JSON.parse(typeof entity['appliedFlushes'] === 'string' ? entity['appliedFlushes'] : '[]');
  return {
    keyId: String(entity['partitionKey']),
    day: String(entity['rowKey']),
    providerId: String(entity['providerId'] ?? ''),
    requests: Number(entity['requests'] ?? 0),
    endpoints: parseCounts(entity['endpoints']),
    statusCodes: parseCounts(entity['statusCodes']),
    lastUsedAt: typeof entity['lastUsedAt'] === 'string' ? Date.parse(entity['lastUsedAt']) : undefined,
    appliedFlushes: Array.isArray(applied) ? applied.filter((id): id is string => typeof id === 'string') : [],
  };
}

function toEntity(row: UsageRow) {
  return {
    partitionKey: row.keyId,
    rowKey: row.day,
    providerId: row.providerId,
    requests: row.requests,
    endpoints: JSON.stringify(row.endpoints),
    statusCodes: JSON.stringify(row.statusCodes),
    ...(row.lastUsedAt ? { lastUsedAt: new Date(row.lastUsedAt).toISOString() } : {}),
    appliedFlushes: JSON.stringify(row.appliedFlushes),
  };
}

/**
 * One row per key and UTC day (partition = key, so replicas flushing different keys never contend). A flush is
 * read-merge-write with the row's ETag: a concurrent writer makes the write fail with 412 (or 409 for a new row)
 * and the merge is redone on the fresh row, so no count is lost; the row remembers recent flush ids, so a write
 * retried after an ambiguous timeout is not counted twice.
 */
@Injectable()
export class AzureTableUsageStore extends UsageStore {
  private readonly conflicts: Counter;

  constructor(
    private readonly storage: AzureStorage,
    metrics: MetricsService,
  ) {
    super();
    this.conflicts = new Counter({
      name: 'api_key_manager_usage_write_conflicts_total',
      help: 'Usage writes refused because another writer changed the row first (then merged again)',
      registers: [metrics.registry],
    });
  }

  async apply(pending: PendingUsage): Promise<void> {
    for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
      const outcome = await this.storage.run('usage_flush', async ({ tables }, abortSignal) => {
        let current: TableEntityResult<UsageEntity> | undefined;
        try {
          current = await tables.usage.getEntity<UsageEntity>(pending.keyId, pending.day, { abortSignal });
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
        const next = applyFlush(current ? fromEntity(current) : undefined, pending);
        if (!next) return 'done';
        try {
          if (current) await tables.usage.updateEntity(toEntity(next), 'Replace', { etag: current.etag, abortSignal });
          else await tables.usage.createEntity(toEntity(next), { abortSignal });
          return 'done';
        } catch (error) {
          const status = statusOf(error);
          if (status === 412 || status === 409) return 'conflict';
          throw error;
        }
      });
      if (outcome === 'done') return;
      this.conflicts.inc();
      await sleep(Math.floor(Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
    throw new UsageWriteConflictError(`usage row for ${pending.keyId} on ${pending.day} kept changing`);
  }

  async rowsOfKey(keyId: string): Promise<UsageRow[]> {
    return this.query('usage_read_key', odata`PartitionKey eq ${keyId}`);
  }

  async rowsOfDay(day: string): Promise<UsageRow[]> {
    // A scan on RowKey: a daily export's cost, not a request path's.
    return this.query('usage_read_day', odata`RowKey eq ${day}`);
  }

  private query(operation: string, filter: string): Promise<UsageRow[]> {
    return this.storage.run(operation, async ({ tables }, abortSignal) => {
      const rows: UsageRow[] = [];
      for await (const entity of tables.usage.listEntities<UsageEntity>({ abortSignal, queryOptions: { filter } })) rows.push(fromEntity(entity));
      return rows;
    });
  }
}
