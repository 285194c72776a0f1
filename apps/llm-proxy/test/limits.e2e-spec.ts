import { randomUUID } from 'node:crypto';
import {
  type AppProcess,
  FakeOpenAi,
  type RedisServerProcess,
  freePort,
  startApp,
  startRedisServer,
} from '@auth-platform/testing';
import {
  CHAT,
  type OpenAiError,
  TestIssuer,
  eventually,
  expectRedisLimits,
  postChat,
  signedHeaders,
} from './support/llm-clients';

const UPSTREAM_KEY = `sk-upstream-${randomUUID()}`;
const HMAC_SECRET = `hmac-secret-${randomUUID()}`;
const ADMIN_KEY = `admin-key-${randomUUID()}`;
const issuer = new TestIssuer('kid-limits');

function env(upstreamUrl: string, extra: Record<string, string>): Record<string, string> {
  return {
    API_KEY_SERVER_PRODUCT_KEYS: JSON.stringify({ 'product-a': UPSTREAM_KEY }),
    API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({ 'kid-limits': issuer.publicPem }),
    API_KEY_SERVER_CLIENT_HMAC_SECRETS: JSON.stringify({ desktop: HMAC_SECRET }),
    API_KEY_SERVER_OPENAI_BASE_URL: upstreamUrl,
    API_KEY_SERVER_ADMIN_KEY: ADMIN_KEY,
    API_KEY_SERVER_UPSTREAM_TIMEOUT_SECONDS: '2',
    ...extra,
  };
}

async function statusCodes(responses: Promise<Response>[]): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const response of await Promise.all(responses)) {
    counts[response.status] = (counts[response.status] ?? 0) + 1;
    await response.arrayBuffer();
  }
  return counts;
}

/** The i-th of the started instances (wrapping), for spreading requests over replicas. */
function pick(apps: readonly AppProcess[], i: number): AppProcess {
  const app = apps[i % apps.length];
  if (!app) throw new Error('no instance started');
  return app;
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as OpenAiError).error.code;
}

describe('llm-proxy limits across replicas', () => {
  const upstream = new FakeOpenAi();
  const sharedPrefix = `llm-proxy-e2e-${randomUUID()}`;
  const quotaPrefix = `llm-proxy-e2e-${randomUUID()}`;
  let replicas: AppProcess[] = [];
  let quotaReplicas: AppProcess[] = [];

  beforeAll(async () => {
    await upstream.start();
    const redis = { API_KEY_SERVER_REDIS_URL: 'redis://127.0.0.1:6379' };
    [replicas, quotaReplicas] = await Promise.all([
      Promise.all(
        [1, 2, 3].map(() =>
          startApp(
            'llm-proxy',
            env(upstream.url, {
              ...redis,
              API_KEY_SERVER_REDIS_PREFIX: sharedPrefix,
              API_KEY_SERVER_RATE_LIMIT_CAPACITY: '10',
              API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '0.01',
            }),
          ),
        ),
      ),
      Promise.all(
        [1, 2].map(() =>
          startApp(
            'llm-proxy',
            env(upstream.url, {
              ...redis,
              API_KEY_SERVER_REDIS_PREFIX: quotaPrefix,
              API_KEY_SERVER_RATE_LIMIT_CAPACITY: '1000',
              API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '1000',
              API_KEY_SERVER_DAILY_QUOTA: '20',
              API_KEY_SERVER_DAILY_TOKEN_QUOTA: '2500',
            }),
          ),
        ),
      ),
    ]);
    for (const app of [...replicas, ...quotaReplicas]) await expectRedisLimits(app);
  });
  afterAll(async () => {
    await Promise.all([...replicas, ...quotaReplicas].map((app) => app.stop()));
    await upstream.stop();
  });
  beforeEach(() => upstream.reset());

  it('enforces one token bucket for a product and user across three replicas, not three', async () => {
    const token = await issuer.sign({ sub: `bucket-${randomUUID()}` });
    const responses = Array.from({ length: 30 }, (_, i) => postChat(pick(replicas, i), { token }));
    expect(await statusCodes(responses)).toEqual({ 200: 10, 429: 20 });
    const refused = await postChat(pick(replicas, 1), { token });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await codeOf(refused)).toBe('rate_limit_exceeded');
    expect(
      (await postChat(pick(replicas, 2), { token: await issuer.sign({ sub: `other-${randomUUID()}` }) }))
        .status,
    ).toBe(200);
  });

  it('adds up the usage every replica served on the admin endpoint', async () => {
    const user = `usage-${randomUUID()}`;
    const token = await issuer.sign({ sub: user });
    for (const app of replicas) expect((await postChat(app, { token })).status).toBe(200);
    const url = `${pick(replicas, 0).url}/admin/usage?user=${user}`;
    const read = async () =>
      (await (await fetch(url, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as {
        usage: { requests: number }[];
      };
    await eventually(async () => (await read()).usage[0]?.requests === 3, 5000);
    expect((await read()).usage).toEqual([
      { product: 'product-a', user, requests: 3, prompt_tokens: 33, completion_tokens: 15, total_tokens: 48 },
    ]);
  });

  it('accepts a nonce once across replicas', async () => {
    const raw = JSON.stringify(CHAT);
    const headers = signedHeaders({
      client: 'desktop',
      secret: HMAC_SECRET,
      product: 'product-a',
      user: `nonce-${randomUUID()}`,
      body: raw,
    });
    expect((await postChat(pick(replicas, 0), { headers, raw })).status).toBe(200);
    const replay = await postChat(pick(replicas, 1), { headers, raw });
    expect(replay.status).toBe(401);
    expect(await codeOf(replay)).toBe('replayed_nonce');
  });

  it('writes the usage it has not flushed yet when it receives SIGTERM', async () => {
    const user = `shutdown-${randomUUID()}`;
    expect((await postChat(pick(replicas, 2), { token: await issuer.sign({ sub: user }) })).status).toBe(200);
    expect(await pick(replicas, 2).stop()).toBe(0);
    const report = await fetch(`${pick(replicas, 0).url}/admin/usage?user=${user}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(((await report.json()) as { usage: unknown[] }).usage).toEqual([
      { product: 'product-a', user, requests: 1, prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
    ]);
  });

  it('admits exactly the daily quota among 60 concurrent requests on two replicas', async () => {
    const token = await issuer.sign({ sub: `quota-${randomUUID()}` });
    const body = { ...CHAT, max_tokens: 1 };
    const responses = Array.from({ length: 60 }, (_, i) => postChat(pick(quotaReplicas, i), { token, body }));
    expect(await statusCodes(responses)).toEqual({ 200: 20, 429: 40 });
    const refused = await postChat(pick(quotaReplicas, 0), { token, body });
    expect(await codeOf(refused)).toBe('daily_quota_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(86_400);
  });

  it('reserves max_tokens against the daily token quota, so concurrent requests cannot overspend it, then settles to the real usage', async () => {
    upstream.responseDelayMs = 300;
    const token = await issuer.sign({ sub: `tokens-${randomUUID()}` });
    // Each request reserves its 1000 completion tokens plus an estimate of its prompt: two fit in 2500, three do not.
    const body = { ...CHAT, max_tokens: 1000 };
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => postChat(pick(quotaReplicas, i), { token, body })),
    );
    const refused = responses.filter((response) => response.status === 429);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(2);
    expect(refused).toHaveLength(8);
    expect(((await (refused[0] ?? new Response('null')).json()) as OpenAiError).error).toMatchObject({
      type: 'insufficient_quota',
      code: 'daily_token_quota_exceeded',
    });
    // The two used 16 tokens each, and what they reserved beyond that is back: two more fit, one after the other.
    upstream.responseDelayMs = 0;
    expect((await postChat(pick(quotaReplicas, 0), { token, body })).status).toBe(200);
    expect((await postChat(pick(quotaReplicas, 1), { token, body })).status).toBe(200);
  });

  it('caps the completion upstream when a token quota is set and the client gave no max_tokens', async () => {
    const response = await postChat(pick(quotaReplicas, 0), {
      token: await issuer.sign({ sub: `cap-${randomUUID()}` }),
    });
    expect(response.status).toBe(200);
    expect(upstream.last.body['max_completion_tokens']).toBe(2048);
  });
});

describe('llm-proxy while Redis is down', () => {
  let redis: RedisServerProcess;
  let app: AppProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    // No upstream listens there: admitted requests answer 502, refused ones 429, which tells them apart.
    const deadUpstream = `http://127.0.0.1:${await freePort()}/v1/chat/completions`;
    app = await startApp(
      'llm-proxy',
      env(deadUpstream, {
        API_KEY_SERVER_REDIS_URL: redis.url,
        API_KEY_SERVER_REDIS_PREFIX: `llm-proxy-e2e-${randomUUID()}`,
        API_KEY_SERVER_RATE_LIMIT_CAPACITY: '3',
        API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '0.01',
      }),
    );
    await expectRedisLimits(app);
  });
  afterAll(async () => {
    await app?.stop();
    await redis?.kill();
  });

  it('answers an unreachable upstream with 502', async () => {
    const response = await postChat(app, { token: await issuer.sign({ sub: `dead-${randomUUID()}` }) });
    expect(response.status).toBe(502);
    expect(((await response.json()) as OpenAiError).error).toMatchObject({
      code: 'upstream_unavailable',
      message: 'the upstream provider could not be reached',
    });
  });

  it('keeps limiting in memory, says so on /healthz and /health, and returns to Redis when it is back', async () => {
    const token = await issuer.sign({ sub: `outage-${randomUUID()}` });
    expect(await statusCodes(Array.from({ length: 4 }, () => postChat(app, { token })))).toEqual({
      502: 3,
      429: 1,
    });

    await redis.kill();
    const during = [];
    for (let i = 0; i < 4; i++) during.push((await postChat(app, { token })).status);
    // The memory store starts with a full bucket: the seed's behaviour, limits per replica while Redis is away.
    expect(during).toEqual([502, 502, 502, 429]);
    expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({
      status: 'ok',
      rate_limit: { store: 'redis', mode: 'fallback' },
    });
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(200);
    expect(
      ((await health.json()) as { details: Record<string, unknown> }).details['rate-limit'],
    ).toMatchObject({ mode: 'fallback', policy: 'memory' });

    await redis.restart();
    await eventually(async () => {
      await (
        await postChat(app, { token: await issuer.sign({ sub: `probe-${randomUUID()}` }) })
      ).arrayBuffer();
      const status = (await (await fetch(`${app.url}/healthz`)).json()) as { rate_limit: { mode: string } };
      return status.rate_limit.mode === 'redis';
    }, 8000);
    const usage = await fetch(`${app.url}/admin/usage`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(usage.status).toBe(200);
  });
});
