import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AppProcess } from '@auth-platform/testing';
import { admin, call, eventually, generateKey, service, startKeyManager, verify } from './support/api-key-manager.client';
import { AZURITE_ACCOUNT_KEY } from './support/azurite';
import { sharedAzurite } from './support/shared-azurite';

interface Usage {
  token_id: string;
  total_requests: number;
  by_endpoint: Record<string, number>;
  by_status_code: Record<string, number>;
  last_used_at: string | null;
  daily: { date: string; requests: number }[];
}

const today = () => new Date().toISOString().slice(0, 10);

describe('api-key-manager: usage', () => {
  const azurite = sharedAzurite();
  let first: AppProcess;
  let second: AppProcess;

  beforeAll(async () => {
    [first, second] = await Promise.all([
      startKeyManager(azurite, { USAGE_FLUSH_INTERVAL_MS: '200' }),
      startKeyManager(azurite, { USAGE_FLUSH_INTERVAL_MS: '200' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  const usageOf = async (app: AppProcess, id: string) => (await call<Usage>(app, 'GET', `/auth/keys/${id}/usage`, { headers: admin() })).body;
  const report = (app: AppProcess, records: unknown[]) => call(app, 'POST', '/auth/keys/batch/usage', { headers: service(), body: { records } });

  it('loses no count when 50 batches arrive concurrently at two instances flushing the same rows', async () => {
    const [a, b] = await Promise.all([generateKey(first), generateKey(first)]);
    const batches = Array.from({ length: 50 }, (_, i) => [
      { key_id: a.token_id, endpoint: 'GET /orders', status_code: 200, count: i + 1 },
      { key_id: a.token_id, endpoint: 'POST /orders', status_code: i % 5 === 0 ? 500 : 201, count: 2 },
      { key_id: b.token_id, endpoint: 'GET /orders', status_code: 429, count: 1 },
    ]);
    const answers = await Promise.all(batches.map((records, i) => report(i % 2 === 0 ? first : second, records)));
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    expect(answers.reduce((sum, answer) => sum + Number(answer.body['accepted']), 0)).toBe(1275 + 100 + 50);

    const expected = 1275 + 100;
    await eventually(async () => (await usageOf(first, a.token_id)).total_requests === expected && (await usageOf(second, b.token_id)).total_requests === 50, 10_000, 200);
    // Flushes that keep arriving after the totals match would mean double counting.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const usage = await usageOf(second, a.token_id);
    expect(usage).toMatchObject({
      token_id: a.token_id,
      total_requests: expected,
      by_endpoint: { 'GET /orders': 1275, 'POST /orders': 100 },
      by_status_code: { '200': 1275, '201': 80, '500': 20 },
      daily: [{ date: today(), requests: expected }],
    });
    expect(Date.now() - Date.parse(usage.last_used_at!)).toBeLessThan(60_000);
    expect(await usageOf(first, b.token_id)).toMatchObject({ total_requests: 50, by_status_code: { '429': 50 } });
  });

  it('counts every verification toward the key’s usage', async () => {
    const key = await generateKey(first, { scopes: ['x'] });
    await verify(first, { key: key.key });
    await verify(second, { key: key.key });
    await verify(second, { key: key.key, required_scopes: ['y'] });
    await eventually(async () => (await usageOf(first, key.token_id)).total_requests === 3, 5000, 100);
    expect(await usageOf(first, key.token_id)).toMatchObject({ by_endpoint: { verify: 3 }, by_status_code: { '200': 2, '403': 1 } });
  });

  it('refuses records for unknown keys one by one and malformed batches whole', async () => {
    const key = await generateKey(first);
    const mixed = await report(first, [
      { key_id: '00000000-0000-4000-8000-000000000000', endpoint: 'GET /', status_code: 200, count: 1 },
      { key_id: key.token_id, endpoint: 'GET /', status_code: 200, count: 4 },
    ]);
    expect(mixed.status).toBe(202);
    expect(mixed.body).toEqual({ accepted: 4, rejected: [{ index: 0, key_id: '00000000-0000-4000-8000-000000000000', reason: 'unknown key_id' }] });

    const cases: [unknown, string][] = [
      [{}, 'records must be an array'],
      [{ records: [] }, 'records must contain at least 1 elements'],
      [{ records: [{ key_id: key.token_id, endpoint: 'GET /', status_code: 700, count: 1 }] }, 'records.0.status_code must not be greater than 599'],
      [{ records: [{ key_id: key.token_id, endpoint: '', status_code: 200, count: 1 }] }, 'records.0.endpoint must be longer than or equal to 1 characters'],
      [{ records: [{ key_id: 'abc', endpoint: 'GET /', status_code: 200, count: 1 }] }, 'records.0.key_id must be a UUID'],
      [{ records: [{ key_id: key.token_id, endpoint: 'GET /', status_code: 200, count: 0 }] }, 'records.0.count must not be less than 1'],
      [{ records: Array.from({ length: 1001 }, () => ({ key_id: key.token_id, endpoint: 'GET /', status_code: 200, count: 1 })) }, 'records must contain no more than 1000 elements'],
    ];
    for (const [body, message] of cases) {
      const answer = await call(first, 'POST', '/auth/keys/batch/usage', { headers: service(), body });
      expect([answer.status, answer.body['message']]).toEqual([400, expect.stringContaining(message)]);
    }
    expect((await call(first, 'POST', '/auth/keys/batch/usage', { headers: admin(), body: { records: [] } })).status).toBe(401);
  });

  it('writes what is pending when it shuts down gracefully', async () => {
    const slow = await startKeyManager(azurite, { USAGE_FLUSH_INTERVAL_MS: '300000' });
    const key = await generateKey(slow);
    expect((await report(slow, [{ key_id: key.token_id, endpoint: 'GET /late', status_code: 200, count: 7 }])).status).toBe(202);
    expect((await usageOf(first, key.token_id)).total_requests).toBe(0);
    expect(await slow.stop('SIGTERM')).toBe(0);
    expect((await usageOf(first, key.token_id)).by_endpoint).toEqual({ 'GET /late': 7 });
  });

  it('exports a day of usage and the revocation audit log to Blob Storage as JSON Lines', async () => {
    const key = await generateKey(first, { provider_id: 'exporter' });
    await report(first, [{ key_id: key.token_id, endpoint: 'GET /export', status_code: 200, count: 3 }]);
    await call(first, 'POST', `/auth/keys/${key.token_id}/revoke`, { headers: admin(), body: { reason: 'exported' } });

    const exported = await call(first, 'POST', '/auth/keys/usage/export', { headers: admin(), body: { date: today() } });
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({
      date: today(),
      container: 'api-key-usage',
      usage: { blob: `usage/${today()}.jsonl`, outcome: 'written' },
      audit: { blob: `audit/${today()}.jsonl`, outcome: 'written' },
    });

    const container = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(azurite.account, AZURITE_ACCOUNT_KEY)).getContainerClient('api-key-usage');
    const read = async (name: string) => (await container.getBlobClient(name).downloadToBuffer()).toString('utf8');
    const usageLines = (await read(`usage/${today()}.jsonl`)).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(usageLines).toContainEqual(
      expect.objectContaining({ date: today(), key_id: key.token_id, provider_id: 'exporter', requests: 3, by_endpoint: { 'GET /export': 3 }, by_status_code: { '200': 3 } }),
    );
    const auditLines = (await read(`audit/${today()}.jsonl`)).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(auditLines).toContainEqual(
      expect.objectContaining({ type: 'key_revoked', key_id: key.token_id, provider_id: 'exporter', details: { reason: 'exported' }, actor: expect.stringMatching(/^admin:/) }),
    );
    expect(auditLines).toContainEqual(expect.objectContaining({ type: 'key_generated', key_id: key.token_id }));
    expect(JSON.stringify(auditLines)).not.toContain(key.key);

    const again = await call(first, 'POST', '/auth/keys/usage/export', { headers: admin(), body: { date: today() } });
    expect([again.status, again.body['message']]).toEqual([409, `Usage for ${today()} was already exported; pass overwrite: true to replace it`]);
    const replaced = await call(first, 'POST', '/auth/keys/usage/export', { headers: admin(), body: { date: today(), overwrite: true } });
    expect(replaced.status).toBe(200);

    for (const [date, message] of [
      ['2026-02-30', 'date must be a calendar day as YYYY-MM-DD'],
      ['yesterday', 'date must be a calendar day as YYYY-MM-DD'],
      ['2999-01-01', 'date must not be in the future'],
    ]) {
      const bad = await call(first, 'POST', '/auth/keys/usage/export', { headers: admin(), body: { date } });
      expect([bad.status, bad.body['message']]).toEqual([400, message]);
    }
  });
});
