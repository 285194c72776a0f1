import type { AppProcess } from '@auth-platform/testing';
import { admin, call, eventually, generateKey, service, startKeyManager, verify } from './support/api-key-manager.client';
import { AzuriteServer } from './support/azurite';

const RESILIENCE = {
  STORAGE_TIMEOUT_MS: '400',
  MAX_RETRIES: '1',
  RETRY_BACKOFF_MS: '20',
  CIRCUIT_BREAKER_THRESHOLD: '3',
  CIRCUIT_BREAKER_TIMEOUT: '1',
  VERIFY_CACHE_TTL_MS: '300',
  USAGE_FLUSH_INTERVAL_MS: '300',
};

describe('api-key-manager: storage outages', () => {
  const azurite = new AzuriteServer({ persistent: true });
  let app: AppProcess;

  beforeAll(async () => {
    await azurite.start();
    app = await startKeyManager(azurite, RESILIENCE);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await azurite.dispose();
  });

  const usageTotal = async (id: string) => (await call<{ total_requests: number }>(app, 'GET', `/auth/keys/${id}/usage`, { headers: admin() })).body.total_requests;

  it('answers 503 with a clear message while storage is stopped, keeps what it accepted, and recovers', async () => {
    const known = await generateKey(app);
    expect((await verify(app, { key: known.key })).code).toBe('VALID');
    const unseen = await generateKey(app);

    await azurite.stop();
    const accepted = await call(app, 'POST', '/auth/keys/batch/usage', {
      headers: service(),
      body: { records: [{ key_id: known.token_id, endpoint: 'GET /during-outage', status_code: 200, count: 7 }] },
    });
    expect(accepted.status).toBe(202);

    const verifyDown = await call(app, 'POST', '/auth/keys/verify', { headers: service(), body: { key: unseen.key } });
    expect(verifyDown.status).toBe(503);
    expect(verifyDown.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/^Key storage is unavailable/) });
    expect(Number(verifyDown.headers.get('retry-after'))).toBeGreaterThan(0);
    const generateDown = await call(app, 'POST', '/auth/keys/generate', {
      headers: admin(),
      body: { provider_id: 'p', name: 'n', environment: 'test', scopes: [] },
    });
    expect([generateDown.status, generateDown.body['message']]).toEqual([503, expect.stringMatching(/^Key storage is unavailable/)]);
    for (const [method, path, body] of [
      ['GET', '/auth/keys?provider_id=p', undefined],
      ['POST', `/auth/keys/${known.token_id}/revoke`, { reason: 'x' }],
      ['GET', `/auth/keys/${known.token_id}/usage`, undefined],
    ] as const) {
      expect([path, (await call(app, method, path, { headers: admin(), body })).status]).toEqual([path, 503]);
    }
    const ready = await call(app, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body['message']).toContain('table-storage: Azure Table Storage is unreachable');
    // The circuit is open: refusals come at once, without waiting for storage.
    const started = Date.now();
    expect((await call(app, 'POST', '/auth/keys/verify', { headers: service(), body: { key: unseen.key } })).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 700));

    await azurite.start();
    await eventually(async () => (await call(app, 'POST', '/auth/keys/verify', { headers: service(), body: { key: unseen.key } })).status === 200, 15_000, 200);
    expect((await verify(app, { key: unseen.key })).code).toBe('VALID');
    const recovered = await call<{ details: Record<string, { status: string }> }>(app, 'GET', '/health/ready');
    expect(recovered.status).toBe(200);
    expect(recovered.body.details).toMatchObject({ 'table-storage': { status: 'up' }, 'blob-storage': { status: 'up' } });
    // One verify before the outage, then the 7 accepted during it.
    await eventually(async () => (await usageTotal(known.token_id)) === 8, 10_000, 200);
    const logs = app.logs().join('\n');
    expect(logs).toContain('"event":"storage_circuit","service":"table","state":"open"');
    expect(logs).toContain('"event":"usage_flush_retained"');
    expect(logs).not.toContain('"status_code":500');
  });

  it('gives up on hung storage within its deadline, then recovers when it answers again', async () => {
    const key = await generateKey(app);
    azurite.freeze();
    try {
      const started = Date.now();
      const hung = await call(app, 'POST', '/auth/keys/verify', { headers: service(), body: { key: key.key } });
      expect(hung.status).toBe(503);
      // Two attempts of 400 ms and a short backoff.
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      azurite.thaw();
    }
    await eventually(async () => (await call(app, 'POST', '/auth/keys/verify', { headers: service(), body: { key: key.key } })).status === 200, 15_000, 200);
  });
});
