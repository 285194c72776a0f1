import { generateApiKey } from '@auth-platform/crypto';
import { type AppProcess, AzuriteServer, startApp } from '@auth-platform/testing';
import {
  ApiKeyManagerFailure,
  ApiKeyManagerUnavailableError,
  ApiKeysClient,
  type ApiKeysClientOptions,
} from '../src';

const ADMIN_KEY = 'client-e2e-admin-key-0123456789';
const SERVICE_KEY = 'client-e2e-service-key';
const PEPPER = 'client-e2e-pepper-0123456789abcdef0123456789';

interface GeneratedKey {
  readonly token_id: string;
  readonly key: string;
}

interface KeyUsage {
  readonly total_requests: number;
  readonly by_endpoint: Record<string, number>;
  readonly by_status_code: Record<string, number>;
}

async function failureOf(promise: Promise<unknown>): Promise<ApiKeyManagerUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiKeyManagerUnavailableError);
  return error as ApiKeyManagerUnavailableError;
}

/** Polls until `check` passes; returns how long that took. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('ApiKeysClient against the real api-key-manager', () => {
  const azurite = new AzuriteServer();
  const managerEnv = () => ({
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    ADMIN_API_KEY: ADMIN_KEY,
    VERIFY_API_KEYS: SERVICE_KEY,
    API_KEY_HASH_PEPPER: PEPPER,
    USAGE_EXPORT_ENABLED: 'false',
    USAGE_FLUSH_INTERVAL_MS: '250',
  });
  let manager: AppProcess;
  const clients: ApiKeysClient[] = [];
  const logged: string[] = [];
  const issuedKeys: string[] = [];

  function client(options: Partial<ApiKeysClientOptions> = {}): ApiKeysClient {
    const created = new ApiKeysClient({
      baseUrl: manager.url,
      serviceKey: SERVICE_KEY,
      logger: {
        log: (fields, message) => logged.push(JSON.stringify({ ...fields, message })),
        warn: (fields, message) => logged.push(JSON.stringify({ ...fields, message })),
      },
      ...options,
    });
    clients.push(created);
    return created;
  }

  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${manager.url}${path}`, {
      method,
      headers: {
        'x-admin-key': ADMIN_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as T;
    if (response.status >= 300)
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  async function generateKey(body: Record<string, unknown> = {}): Promise<GeneratedKey> {
    const generated = await admin<GeneratedKey>('POST', '/auth/keys/generate', {
      provider_id: 'provider-client-e2e',
      name: 'client e2e key',
      environment: 'test',
      scopes: ['gcp-token:mint'],
      ...body,
    });
    issuedKeys.push(generated.key);
    return generated;
  }

  const usageOf = (id: string) => admin<KeyUsage>('GET', `/auth/keys/${id}/usage`);

  beforeAll(async () => {
    await azurite.start();
    manager = await startApp('api-key-manager', managerEnv(), { timeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((created) => created.close()));
    await manager?.stop();
    await azurite.dispose();
  });

  it('verifies a managed key: its id, owner, environment, scopes and expiry', async () => {
    const generated = await generateKey({ scopes: ['gcp-token:mint', 'llm-proxy:chat'], expires_in_days: 1 });
    const keys = client();
    const result = await keys.verify(generated.key, {
      requiredScopes: ['gcp-token:mint'],
      clientIp: '203.0.113.7',
    });
    expect(result).toEqual({
      valid: true,
      code: 'VALID',
      keyId: generated.token_id,
      providerId: 'provider-client-e2e',
      environment: 'test',
      scopes: ['gcp-token:mint', 'llm-proxy:chat'],
      expiresAt: expect.any(Number),
      cached: false,
    });
    if (!result.valid) throw new Error('refused');
    expect(result.expiresAt).toBeGreaterThan(Date.now() + 86_400_000 - 60_000);
    expect(result.expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000);
    expect(
      await keys.verify(generated.key, { requiredScopes: ['gcp-token:mint'], clientIp: '203.0.113.7' }),
    ).toMatchObject({
      valid: true,
      cached: true,
    });
  });

  it('refuses a key without the scope, an unknown key, a mistyped key and an address outside its restrictions', async () => {
    const generated = await generateKey({ ip_restrictions: ['10.0.0.0/8'] });
    const keys = client();
    expect(
      await keys.verify(generated.key, { requiredScopes: ['llm-proxy:chat'], clientIp: '10.1.2.3' }),
    ).toEqual({
      valid: false,
      code: 'INSUFFICIENT_SCOPES',
      keyId: generated.token_id,
      providerId: 'provider-client-e2e',
      cached: false,
    });
    expect(await keys.verify(generated.key, { clientIp: '192.0.2.1' })).toMatchObject({
      code: 'IP_NOT_ALLOWED',
    });
    expect(await keys.verify(generated.key, { clientIp: '10.1.2.3' })).toMatchObject({ valid: true });
    expect(await keys.verify(generateApiKey({ environment: 'test' }).key)).toMatchObject({
      valid: false,
      code: 'NOT_FOUND',
      keyId: null,
    });
    expect(await keys.verify(`${generated.key.slice(0, -1)}0`)).toMatchObject({
      valid: false,
      code: 'MALFORMED',
    });
  });

  it('refuses a revoked key within 5 seconds with the default cache settings', async () => {
    const generated = await generateKey();
    const keys = client();
    expect((await keys.verify(generated.key)).valid).toBe(true);
    await admin('POST', `/auth/keys/${generated.token_id}/revoke`, { reason: 'client e2e' });
    const revokedAt = Date.now();
    let last = await keys.verify(generated.key);
    await eventually(async () => {
      last = await keys.verify(generated.key);
      return !last.valid;
    }, 5000);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect(last).toMatchObject({ valid: false, code: 'REVOKED', keyId: generated.token_id });
  });

  it('reports usage in batches that the manager shows for the key: on flush, on its interval and on close', async () => {
    const generated = await generateKey();
    const keys = client();
    keys.recordUsage(generated.token_id, 'POST /token', 200);
    keys.recordUsage(generated.token_id, 'POST /token', 200, 2);
    keys.recordUsage(generated.token_id, 'POST /token', 429);
    expect(await keys.flushUsage()).toEqual({ accepted: 4, rejected: 0, dropped: 0, pending: 0 });

    const timed = client({ usageFlushIntervalMs: 200 });
    timed.recordUsage(generated.token_id, 'POST /v1/chat/completions', 200, 5);
    const closing = client();
    closing.recordUsage(generated.token_id, 'POST /v1/chat/completions', 502);
    await closing.close();

    await eventually(async () => {
      const usage = await usageOf(generated.token_id);
      return usage.by_endpoint['POST /v1/chat/completions'] === 6;
    }, 5000);
    const usage = await usageOf(generated.token_id);
    expect(usage.by_endpoint['POST /token']).toBe(4);
    expect(usage.by_status_code['429']).toBe(1);
    expect(usage.by_status_code['502']).toBe(1);
  });

  it('counts usage for an id the manager does not know as rejected', async () => {
    const keys = client();
    keys.recordUsage('00000000-0000-4000-8000-000000000000', 'POST /token', 200, 2);
    expect(await keys.flushUsage()).toEqual({ accepted: 0, rejected: 2, dropped: 0, pending: 0 });
  });

  it('fails closed when the manager refuses the service key, saying so without the key', async () => {
    const generated = await generateKey();
    const keys = client({ serviceKey: 'not-one-of-the-verify-keys' });
    const error = await failureOf(keys.verify(generated.key));
    expect([error.reason, error.status]).toEqual([ApiKeyManagerFailure.SERVICE_KEY_REJECTED, 401]);
    expect(error.message).not.toContain('not-one-of-the-verify-keys');
    expect(error.message).not.toContain(generated.key);
  });

  it('fails closed while the manager is down, answers from the cache until stale, and delivers kept usage after', async () => {
    let clock = Date.now();
    const keys = client({
      now: () => clock,
      validTtlMs: 2000,
      invalidTtlMs: 2000,
      breakerFailureThreshold: 2,
      breakerOpenMs: 1000,
    });
    const known = await generateKey();
    const unseen = await generateKey();
    const unknownKey = generateApiKey({ environment: 'test' }).key;
    expect((await keys.verify(known.key)).valid).toBe(true);
    expect((await keys.verify(unknownKey)).code).toBe('NOT_FOUND');
    keys.recordUsage(known.token_id, 'POST /during-outage', 200, 5);

    expect(await manager.stop()).toBe(0);

    expect(await keys.verify(known.key)).toMatchObject({ valid: true, cached: true });
    expect(await keys.verify(unknownKey)).toMatchObject({ code: 'NOT_FOUND', cached: true });
    expect(await keys.flushUsage()).toEqual({ accepted: 0, rejected: 0, dropped: 0, pending: 5 });
    expect((await failureOf(keys.verify(unseen.key))).reason).toBe(ApiKeyManagerFailure.NETWORK);
    expect(keys.status().circuit).toBe('open');
    expect((await failureOf(keys.verify(unseen.key))).reason).toBe(ApiKeyManagerFailure.CIRCUIT_OPEN);
    clock += 2000;
    // The cached VALID is stale now, and the open period is over: the one trial call fails, so the answer is an
    // error (a 503 for the app), never the old VALID, and the circuit opens again.
    expect((await failureOf(keys.verify(known.key))).reason).toBe(ApiKeyManagerFailure.NETWORK);
    expect(keys.status().circuit).toBe('open');

    manager = await startApp('api-key-manager', managerEnv(), { timeoutMs: 30_000, port: manager.port });
    clock += 1000;
    expect(await keys.verify(unseen.key)).toMatchObject({
      valid: true,
      keyId: unseen.token_id,
      cached: false,
    });
    expect(keys.status().circuit).toBe('closed');
    expect(await keys.flushUsage()).toEqual({ accepted: 5, rejected: 0, dropped: 0, pending: 0 });
    await eventually(
      async () => (await usageOf(known.token_id)).by_endpoint['POST /during-outage'] === 5,
      5000,
    );
    expect(logged.some((line) => line.includes('"reason":"network"'))).toBe(true);
  }, 60_000);

  it('logs no key and no service key', () => {
    const all = logged.join('\n');
    expect(logged.length).toBeGreaterThan(0);
    expect(all).not.toContain(SERVICE_KEY);
    for (const key of issuedKeys) expect(all).not.toContain(key);
  });
});
