import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { ReadinessRegistry } from '@auth-platform/health';
import { MetricsService } from '@auth-platform/platform';
import { parseStorageConnection } from '../src/storage/storage-connection';
import { AzureStorage } from '../src/storage/azure-storage.service';
import { AzureTableUsageStore } from '../src/usage/azure-table-usage.store';
import type { PendingUsage } from '../src/usage/usage.model';
import type { AzuriteServer } from './support/azurite';
import { sharedAzurite } from './support/shared-azurite';

/** Two independent store instances, as two replicas have, writing through their own clients. */
function replicaStore(azurite: AzuriteServer) {
  const values: Record<string, unknown> = {
    AZURE_STORAGE_CONNECTION_STRING: parseStorageConnection(azurite.connectionString),
    STORAGE_TABLE_PREFIX: 'apikeys',
    USAGE_EXPORT_CONTAINER: 'api-key-usage',
    STORAGE_TIMEOUT_MS: 5000,
    MAX_RETRIES: 3,
    RETRY_BACKOFF_MS: 20,
    CIRCUIT_BREAKER_THRESHOLD: 50,
    CIRCUIT_BREAKER_TIMEOUT: 1,
    NODE_ENV: 'test',
  };
  const config = { get: (name: string) => values[name] } as unknown as ConfigService;
  const metrics = new MetricsService();
  const storage = new AzureStorage(config as never, new ReadinessRegistry(), metrics);
  storage.onModuleInit();
  return { store: new AzureTableUsageStore(storage, metrics), metrics };
}

function flush(flushId: string, count: number, status: number): PendingUsage {
  return {
    flushId,
    keyId: 'usage-store-key-1',
    providerId: 'p',
    day: '2026-01-01',
    counts: { requests: count, endpoints: { 'GET /a': count }, statusCodes: { [String(status)]: count }, lastUsedAt: Date.now() },
  };
}

describe('AzureTableUsageStore against Azurite', () => {
  const azurite = sharedAzurite();
  beforeAll(() => Logger.overrideLogger(false));

  it('merges 50 flushes racing from two replicas into one row without losing a count, retrying on ETag conflicts', async () => {
    const replicas = [replicaStore(azurite), replicaStore(azurite)];
    const flushes = Array.from({ length: 50 }, (_, i) => flush(`r${i % 2}:${i}`, i + 1, i % 2 === 0 ? 200 : 500));
    // Each replica writes a row once per flush, one flush after another, while the other does the same.
    await Promise.all(
      replicas.map(async ({ store }, replica) => {
        for (const item of flushes.filter((_, i) => i % 2 === replica)) await store.apply(item);
      }),
    );
    const [row] = await replicas[0]!.store.rowsOfKey('usage-store-key-1');
    expect(row).toMatchObject({ requests: 1275, endpoints: { 'GET /a': 1275 }, statusCodes: { '200': 625, '500': 650 } });
    const conflicts = await Promise.all(replicas.map(async ({ metrics }) => (await metrics.registry.getSingleMetricAsString('api_key_manager_usage_write_conflicts_total')).match(/ (\d+)$/m)?.[1]));
    expect(conflicts.reduce((sum, value) => sum + Number(value), 0)).toBeGreaterThan(0);
  });

  it('applies a flush retried after an ambiguous failure only once', async () => {
    const { store } = replicaStore(azurite);
    const once = { ...flush('retry:1', 5, 200), keyId: 'usage-store-key-2' };
    await store.apply(once);
    await store.apply(once);
    expect((await store.rowsOfKey('usage-store-key-2'))[0]?.requests).toBe(5);
  });
});
