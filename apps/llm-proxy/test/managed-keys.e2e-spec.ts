import { randomUUID } from 'node:crypto';
import { type AppProcess, ApiKeyManagerUnderTest, FakeOpenAi, eventually, startApp } from '@auth-platform/testing';
import { CHAT, type OpenAiError, TestIssuer, postChat } from './support/llm-clients';

const UPSTREAM_KEY = `sk-upstream-team-a-${randomUUID()}`;
const issuer = new TestIssuer('kid-managed');

async function errorOf(response: Response): Promise<OpenAiError['error']> {
  return ((await response.json()) as OpenAiError).error;
}

/** llm-proxy with keys from the real api-key-manager (on Azurite) beside JWTs. */
describe('llm-proxy with managed keys', () => {
  const upstream = new FakeOpenAi();
  const manager = new ApiKeyManagerUnderTest();
  let app: AppProcess;

  beforeAll(async () => {
    await Promise.all([upstream.start(), manager.start()]);
    app = await startApp('llm-proxy', {
      API_KEY_SERVER_PRODUCT_KEYS: JSON.stringify({ 'team-a': UPSTREAM_KEY }),
      API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({ 'kid-managed': issuer.publicPem }),
      API_KEY_SERVER_OPENAI_BASE_URL: upstream.url,
      ...manager.clientEnv(),
    });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await manager.dispose();
    await upstream.stop();
  });
  beforeEach(() => upstream.reset());

  it("forwards a chat completion for a managed key with the upstream key of the key's provider", async () => {
    const managed = await manager.generateKey({ provider_id: 'team-a', scopes: ['llm-proxy:chat'] });
    const response = await postChat(app, { token: managed.key });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
    expect(upstream.last.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(upstream.last.headers)).not.toContain(managed.key);
  });

  it('streams for a managed key', async () => {
    const managed = await manager.generateKey({ provider_id: 'team-a', scopes: ['llm-proxy:chat'] });
    const response = await postChat(app, { token: managed.key, body: { ...CHAT, stream: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toContain('data: [DONE]');
  });

  it('still takes a JWT when managed keys are on', async () => {
    const response = await postChat(app, { token: await issuer.sign({ product: 'team-a' }) });
    expect(response.status).toBe(200);
  });

  it('answers refusals in the OpenAI envelope: 401 unknown key, 403 missing scope, 403 unknown product', async () => {
    const unknown = await postChat(app, { token: 'permas_test_0000000000000000000000000000000000000' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer');
    expect(await errorOf(unknown)).toMatchObject({ code: 'invalid_api_key', message: 'Invalid API key' });

    const mintOnly = await manager.generateKey({ provider_id: 'team-a', scopes: ['gcp-token:mint'] });
    const forbidden = await postChat(app, { token: mintOnly.key });
    expect(forbidden.status).toBe(403);
    expect(await errorOf(forbidden)).toMatchObject({
      code: 'api_key_not_permitted',
      message: 'API key lacks the scope llm-proxy:chat',
    });

    const otherTeam = await manager.generateKey({ provider_id: 'team-without-upstream', scopes: ['llm-proxy:chat'] });
    const unknownProduct = await postChat(app, { token: otherTeam.key });
    expect(unknownProduct.status).toBe(403);
    expect(await errorOf(unknownProduct)).toMatchObject({ code: 'unknown_product' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('counts the use in the manager under llm-proxy POST /v1/chat/completions, and refuses the key once revoked', async () => {
    const managed = await manager.generateKey({ provider_id: 'team-a', scopes: ['llm-proxy:chat'] });
    for (let i = 0; i < 2; i++) expect((await postChat(app, { token: managed.key })).status).toBe(200);
    await eventually(
      async () => (await manager.usage(managed.token_id)).by_endpoint['llm-proxy POST /v1/chat/completions'] === 2,
      15_000,
    );
    await manager.revoke(managed.token_id);
    const elapsed = await eventually(async () => (await postChat(app, { token: managed.key })).status === 401, 5000);
    expect(elapsed).toBeLessThan(5000);
  }, 30_000);

  it('fails closed with 503 while the manager is down, and JWTs keep working', async () => {
    const unseen = await manager.generateKey({ provider_id: 'team-a', scopes: ['llm-proxy:chat'] });
    expect(await manager.stop()).toBe(0);
    try {
      const response = await postChat(app, { token: unseen.key });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await errorOf(response)).toMatchObject({ code: 'api_key_verification_unavailable' });
      expect((await postChat(app, { token: await issuer.sign({ product: 'team-a' }) })).status).toBe(200);
    } finally {
      await manager.start();
    }
    await eventually(async () => (await postChat(app, { token: unseen.key })).status === 200, 15_000);
  }, 60_000);

  it('writes no managed key, service key or upstream key into its log', () => {
    const logs = app.logs().join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(manager.serviceKey);
    expect(logs).not.toContain(UPSTREAM_KEY);
    for (const key of manager.issuedKeys) expect(logs).not.toContain(key);
  });
});
