import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AppProcess,
  ApiKeyManagerUnderTest,
  DevIdp,
  FakeGoogle,
  FakeLoginApi,
  FakeOpenAi,
  FakePlatformApi,
  type IdpClient,
  type ManagedTestKey,
  type TestDatabase,
  createTestDatabase,
  eventually,
  startApp,
} from '@auth-platform/testing';

/**
 * The suite as a team runs it: api-key-manager issues one key that opens gcp-token and llm-proxy, auth-manager
 * keeps a user's refresh token from the OIDC provider, executor-auth calls the platform with its service
 * account. Real PostgreSQL, Redis, Azurite and oidc-provider; local stand-ins only for Google, OpenAI and the
 * upstream login API. The steps build on each other, in order.
 */
const secret = (label: string) => `${label}-${randomBytes(16).toString('hex')}`;
const UPSTREAM_KEY = secret('sk-team-a');
const CALLER_KEY = secret('auth-manager-caller');
const EXECUTOR_KEY = secret('executor-caller');
const VAULT_KEY = randomBytes(32).toString('hex');
const STATE_SECRET = secret('state');
const REDIRECT_URI = 'http://auth-manager.suite.test/offline/callback';
const OIDC_CLIENT: IdpClient = {
  client_id: 'auth-manager',
  client_secret: secret('oidc-client'),
  redirect_uris: [REDIRECT_URI],
};
const REDIS_URL = 'redis://127.0.0.1:6379/0';
const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] };

describe('auth-platform, the five apps together', () => {
  const manager = new ApiKeyManagerUnderTest();
  const google = new FakeGoogle();
  const openai = new FakeOpenAi();
  const login = new FakeLoginApi();
  const platform = new FakePlatformApi(login.tokens, '/api');
  let idp: DevIdp;
  let database: TestDatabase;
  let gcpToken: AppProcess;
  let llmProxy: AppProcess;
  let authManager: AppProcess;
  let executorAuth: AppProcess;
  let key: ManagedTestKey;
  /** Every credential the run handles: none may appear in any app's log. */
  const secrets: string[] = [UPSTREAM_KEY, CALLER_KEY, EXECUTOR_KEY, VAULT_KEY, STATE_SECRET, OIDC_CLIENT.client_secret];
  const allApps = () => [manager.app, gcpToken, llmProxy, authManager, executorAuth];

  const mint = (bearer: string) =>
    fetch(`${gcpToken.url}/token`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` } });
  const chat = (bearer: string, body: Record<string, unknown> = CHAT) =>
    fetch(`${llmProxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ready = async (app: AppProcess) => (await fetch(`${app.url}/health/ready`)).status === 200;

  beforeAll(async () => {
    [idp, database] = await Promise.all([
      DevIdp.start({ clients: [OIDC_CLIENT], users: { alice: 'alice' } }),
      createTestDatabase('suite'),
      manager.start(),
      google.start(),
      openai.start(),
      login.start(),
      platform.start(),
    ]);
    secrets.push(manager.adminKey, manager.serviceKey, login.password);
    [gcpToken, llmProxy, authManager, executorAuth] = await Promise.all([
      startApp('gcp-token', {
        SERVICE_ACCOUNT_JSON: google.serviceAccountJson(),
        REDIS_URL,
        ...manager.clientEnv(),
      }),
      startApp('llm-proxy', {
        API_KEY_SERVER_PRODUCT_KEYS: JSON.stringify({ 'team-a': UPSTREAM_KEY }),
        API_KEY_SERVER_OPENAI_BASE_URL: openai.url,
        API_KEY_SERVER_REDIS_URL: REDIS_URL,
        API_KEY_SERVER_REDIS_PREFIX: `suite-${randomUUID()}`,
        ...manager.clientEnv(),
      }),
      startApp('auth-manager', {
        NODE_ENV: 'development',
        DATABASE_URL: database.url,
        KEYCLOAK_ISSUER: idp.issuer,
        KEYCLOAK_CLIENT_ID: OIDC_CLIENT.client_id,
        KEYCLOAK_CLIENT_SECRET: OIDC_CLIENT.client_secret,
        KEYCLOAK_REDIRECT_URI: REDIRECT_URI,
        AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: VAULT_KEY,
        STATE_TOKEN_SECRET: STATE_SECRET,
        AUTH_MANAGER_API_KEYS: CALLER_KEY,
      }),
      startApp('executor-auth', {
        API_AUTH_URL: login.loginUrl(),
        API_AUTH_EMAIL: login.email,
        API_AUTH_PASSWORD: login.password,
        API_EXECUTOR_BASE_URL: platform.baseUrl,
        EXECUTOR_API_KEYS: EXECUTOR_KEY,
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([gcpToken, llmProxy, authManager, executorAuth].map((app) => app?.stop('SIGKILL')));
    await manager.dispose();
    await Promise.all([google.stop(), openai.stop(), login.stop(), platform.stop(), idp?.stop(), database?.drop()]);
  }, 30_000);

  it('has every app ready on its real dependencies', async () => {
    await eventually(async () => (await Promise.all(allApps().map(ready))).every(Boolean), 20_000);
    for (const app of allApps()) expect(await ready(app)).toBe(true);
  }, 25_000);

  it('lets an admin issue one key for both apps, shown once', async () => {
    key = await manager.generateKey({
      provider_id: 'team-a',
      name: 'team-a pipeline',
      environment: 'live',
      scopes: ['gcp-token:mint', 'llm-proxy:chat'],
    });
    secrets.push(key.key);
    expect(key.key).toMatch(/^permas_live_/);
    const listed = await manager.admin<{ keys: Record<string, unknown>[] }>('GET', '/auth/keys?provider_id=team-a');
    expect(listed.keys.map((listedKey) => listedKey['token_id'])).toEqual([key.token_id]);
    expect(JSON.stringify(listed)).not.toContain(key.key);
  });

  it('mints a Google access token at gcp-token with that key', async () => {
    const response = await mint(key.key);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: 'Bearer', access_token: google.grants.at(-1)?.accessToken });
    expect(body.expires_in).toBeGreaterThan(3000);
    secrets.push(body.access_token);
  });

  it("makes a chat completion at llm-proxy with that key, JSON and streamed, on the team's upstream key", async () => {
    const json = await chat(key.key);
    expect(json.status).toBe(200);
    expect((await json.json()) as Record<string, unknown>).toMatchObject({ object: 'chat.completion' });
    expect(openai.last.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY}`);

    const stream = await chat(key.key, { ...CHAT, stream: true });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await stream.text();
    expect(events).toContain('"object":"chat.completion.chunk"');
    expect(events.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(JSON.stringify(openai.requests.map((request) => request.headers))).not.toContain(key.key);
  });

  it('refuses a key without the scope an app needs with 403, at each app', async () => {
    const mintOnly = await manager.generateKey({ provider_id: 'team-a', scopes: ['gcp-token:mint'] });
    const chatOnly = await manager.generateKey({ provider_id: 'team-a', scopes: ['llm-proxy:chat'] });
    secrets.push(mintOnly.key, chatOnly.key);
    const refusedMint = await mint(chatOnly.key);
    expect(refusedMint.status).toBe(403);
    expect(await refusedMint.json()).toMatchObject({ message: 'API key lacks the scope gcp-token:mint' });
    const refusedChat = await chat(mintOnly.key);
    expect(refusedChat.status).toBe(403);
    expect(await refusedChat.json()).toMatchObject({
      error: { code: 'api_key_not_permitted', message: 'API key lacks the scope llm-proxy:chat' },
    });
  });

  it("shows the key's use at both apps in the manager", async () => {
    const usage = () => manager.usage(key.token_id);
    await eventually(async () => {
      const counted = await usage();
      return (
        counted.by_endpoint['gcp-token POST /token'] === 1 &&
        counted.by_endpoint['llm-proxy POST /v1/chat/completions'] === 2
      );
    }, 15_000);
    const counted = await usage();
    expect(counted.by_status_code['200']).toBeGreaterThanOrEqual(3);
    expect(counted.total_requests).toBeGreaterThanOrEqual(3);
  }, 20_000);

  it("keeps a user's refresh token in auth-manager's vault and mints access tokens from it", async () => {
    const signedIn = await idp.signIn('alice');
    secrets.push(signedIn.refreshToken, signedIn.accessToken);
    const headers = { authorization: `Bearer ${CALLER_KEY}`, 'content-type': 'application/json' };
    const stored = await fetch(`${authManager.url}/tokens`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ refresh_token: signedIn.refreshToken, token_type: 'refresh' }),
    });
    expect(stored.status).toBe(201);
    const record = (await stored.json()) as { id: string; user_id: string };
    expect(record.user_id).toBe('alice');

    const minted = await fetch(`${authManager.url}/tokens/${record.id}/access-token`, {
      method: 'POST',
      headers: { authorization: headers.authorization },
    });
    expect(minted.status).toBe(200);
    const { access_token: accessToken } = (await minted.json()) as { access_token: string };
    secrets.push(accessToken);
    expect(await idp.introspect(accessToken)).toMatchObject({ active: true, sub: 'alice' });

    const validated = await fetch(`${authManager.url}/tokens/validate`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ token: accessToken }),
    });
    expect(await validated.json()).toMatchObject({ active: true, sub: 'alice', client_id: OIDC_CLIENT.client_id });
  });

  it('has executor-auth call the platform with the bearer token of its service account', async () => {
    const response = await fetch(`${executorAuth.url}/execute`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EXECUTOR_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path: '/v1/clusters', query: { region: 'eu' } }),
    });
    expect(response.status).toBe(200);
    // The fake platform echoes the request it received: the token executor-auth injected in place of the key.
    const envelope = (await response.json()) as {
      status: number;
      body: { url: string; headers: Record<string, string> };
    };
    expect(envelope.status).toBe(200);
    expect(envelope.body.url).toBe('/api/v1/clusters?region=eu');
    expect(platform.last.accepted).toBe(true);
    expect(login.tokens.all()).toContain(platform.last.bearer);
    expect(envelope.body.headers['authorization']).toBe(`Bearer ${platform.last.bearer}`);
    expect(JSON.stringify(platform.last.headers)).not.toContain(EXECUTOR_KEY);
    secrets.push(...login.tokens.all());
  });

  it('refuses the key at both apps within 5 seconds of its revocation', async () => {
    expect((await mint(key.key)).status).toBe(200);
    await manager.revoke(key.token_id, 'pipeline retired');
    const revokedAt = Date.now();
    await eventually(async () => {
      const [minting, chatting] = await Promise.all([mint(key.key), chat(key.key)]);
      return minting.status === 401 && chatting.status === 401;
    }, 5_000);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    const refused = await chat(key.key);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key', message: 'Invalid API key' } });
  }, 10_000);

  it('wrote no credential into any log line', () => {
    const lines = allApps().flatMap((app) => app.logs());
    expect(lines.length).toBeGreaterThan(20);
    for (const value of secrets) {
      expect(lines.filter((line) => line.includes(value))).toEqual([]);
    }
  });

  it('stops every app cleanly on SIGTERM, exit code 0', async () => {
    const codes = await Promise.all(allApps().map((app) => app.stop('SIGTERM')));
    expect(codes).toEqual([0, 0, 0, 0, 0]);
  }, 40_000);
});
