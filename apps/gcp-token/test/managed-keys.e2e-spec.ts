import { type AppProcess, ApiKeyManagerUnderTest, FakeGoogle, eventually, startApp } from '@auth-platform/testing';

const STATIC_KEY = 'static-key-for-managed-e2e';

function postToken(app: AppProcess, key: string) {
  return fetch(`${app.url}/token`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
}

/** gcp-token with keys from the real api-key-manager (on Azurite) beside its static key. */
describe('gcp-token with managed keys', () => {
  const google = new FakeGoogle();
  const manager = new ApiKeyManagerUnderTest();
  let app: AppProcess;

  beforeAll(async () => {
    await Promise.all([google.start(), manager.start()]);
    app = await startApp('gcp-token', {
      API_KEY: STATIC_KEY,
      SERVICE_ACCOUNT_JSON: google.serviceAccountJson(),
      ...manager.clientEnv(),
    });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await manager.dispose();
    await google.stop();
  });

  it('mints a token for a managed key with scope gcp-token:mint, and still for the static key', async () => {
    const managed = await manager.generateKey({ scopes: ['gcp-token:mint'] });
    const response = await postToken(app, managed.key);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    expect(body.access_token).toBe(google.grants.at(-1)?.accessToken);
    expect((await postToken(app, STATIC_KEY)).status).toBe(200);
  });

  it('refuses a managed key without the scope with 403, and an unknown key with 401 Invalid API key', async () => {
    const chatOnly = await manager.generateKey({ scopes: ['llm-proxy:chat'] });
    const forbidden = await postToken(app, chatOnly.key);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ statusCode: 403, message: 'API key lacks the scope gcp-token:mint' });

    const unknown = await postToken(app, 'permas_test_0000000000000000000000000000000000000');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer');
    expect(await unknown.json()).toMatchObject({ statusCode: 401, message: 'Invalid API key' });
  });

  it('refuses a managed key from an address outside its ip_restrictions with 403', async () => {
    const elsewhere = await manager.generateKey({ scopes: ['gcp-token:mint'], ip_restrictions: ['10.0.0.0/8'] });
    const response = await postToken(app, elsewhere.key);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ message: 'API key is not allowed from this address' });
  });

  it("counts the key's use in the manager under gcp-token POST /token", async () => {
    const managed = await manager.generateKey({ scopes: ['gcp-token:mint'] });
    for (let i = 0; i < 3; i++) expect((await postToken(app, managed.key)).status).toBe(200);
    await eventually(async () => (await manager.usage(managed.token_id)).by_endpoint['gcp-token POST /token'] === 3, 15_000);
    expect((await manager.usage(managed.token_id)).by_status_code['200']).toBeGreaterThanOrEqual(3);
  }, 20_000);

  it('refuses a revoked key within 5 seconds', async () => {
    const managed = await manager.generateKey({ scopes: ['gcp-token:mint'] });
    expect((await postToken(app, managed.key)).status).toBe(200);
    await manager.revoke(managed.token_id);
    const elapsed = await eventually(async () => (await postToken(app, managed.key)).status === 401, 5000);
    expect(elapsed).toBeLessThan(5000);
  }, 10_000);

  it('fails closed with 503 and Retry-After while the manager is down; static keys keep working', async () => {
    const unseen = await manager.generateKey({ scopes: ['gcp-token:mint'] });
    expect(await manager.stop()).toBe(0);
    try {
      const response = await postToken(app, unseen.key);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ message: 'API key verification is temporarily unavailable' });
      expect((await postToken(app, STATIC_KEY)).status).toBe(200);
    } finally {
      await manager.start();
    }
    // Back: the same key works once the circuit lets a call through again.
    await eventually(async () => (await postToken(app, unseen.key)).status === 200, 15_000);
  }, 60_000);

  it('writes no key, service key or static key into its log', () => {
    const logs = app.logs().join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(manager.serviceKey);
    expect(logs).not.toContain(STATIC_KEY);
    for (const key of manager.issuedKeys) expect(logs).not.toContain(key);
  });
});
