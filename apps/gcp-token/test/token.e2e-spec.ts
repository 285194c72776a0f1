import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, FakeGoogle, runAppToExit, startApp } from '@auth-platform/testing';

const SCOPE = {
  cloud: 'https://www.googleapis.com/auth/cloud-platform',
  readOnly: 'https://www.googleapis.com/auth/cloud-platform.read-only',
  documents: 'https://www.googleapis.com/auth/documentai',
  storage: 'https://www.googleapis.com/auth/devstorage.read_only',
  bigquery: 'https://www.googleapis.com/auth/bigquery',
};
const TARGET = 'reader@test-project.iam.gserviceaccount.com';

function env(google: FakeGoogle, extra: Record<string, string> = {}): Record<string, string> {
  return {
    API_KEYS: 'key-a,key-b',
    SERVICE_ACCOUNT_JSON: google.serviceAccountJson(),
    ALLOWED_SCOPES: Object.values(SCOPE).join(','),
    IAM_CREDENTIALS_ENDPOINT: google.url,
    ALLOWED_TARGET_SERVICE_ACCOUNTS: TARGET,
    GOOGLE_TOKEN_TIMEOUT_MS: '1500',
    ...extra,
  };
}

function postToken(app: AppProcess, options: { key?: string | null; body?: unknown; rawBody?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.key !== null) headers['authorization'] = `Bearer ${options.key ?? 'key-a'}`;
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  return fetch(`${app.url}/token`, { method: 'POST', headers, body });
}

describe('gcp-token POST /token', () => {
  const google = new FakeGoogle();
  let app: AppProcess;

  beforeAll(async () => {
    await google.start();
    app = await startApp('gcp-token', env(google));
  });
  afterAll(async () => {
    await app?.stop();
    await google.stop();
  });
  beforeEach(() => {
    google.mode = 'ok';
  });

  it('answers 500 concurrent requests on a cold cache with one call to Google, in the seed shape', async () => {
    const responses = await Promise.all(Array.from({ length: 500 }, () => postToken(app)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Record<string, unknown>[];
    expect(google.grants.filter((g) => g.scope === SCOPE.bigquery + ' ' + SCOPE.cloud)).toHaveLength(0);
    expect(google.grants).toHaveLength(1);
    expect(new Set(bodies.map((b) => b['access_token']))).toEqual(new Set([google.grants[0]!.accessToken]));
    const body = bodies[0]!;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_at', 'expires_in', 'token_type']);
    expect(body['token_type']).toBe('Bearer');
    expect(body['expires_in']).toBeGreaterThan(3590);
    expect(body['expires_in']).toBeLessThanOrEqual(3600);
    expect(body['expires_at']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(Math.abs(Date.parse(`${body['expires_at'] as string}Z`) - (Date.now() + 3600_000))).toBeLessThan(15_000);
  });

  it('serves the cached token with expires_in counting down from the real expiry', async () => {
    const first = (await (await postToken(app)).json()) as { expires_in: number; access_token: string };
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = (await (await postToken(app)).json()) as { expires_in: number; access_token: string };
    expect(second.access_token).toBe(first.access_token);
    expect(second.expires_in).toBeLessThan(first.expires_in);
    expect(google.grants).toHaveLength(1);
  });

  it('accepts either of the rotated keys and refuses a wrong or missing one with WWW-Authenticate', async () => {
    expect((await postToken(app, { key: 'key-b' })).status).toBe(200);
    for (const key of ['key-c', 'KEY-A', 'key-a2', null] as const) {
      const response = await postToken(app, { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid API key' });
    }
  });

  it('mints for an allowed subset of scopes and refuses a scope outside the allow-list', async () => {
    const allowed = await postToken(app, { body: { scopes: [SCOPE.readOnly, SCOPE.documents] } });
    expect(allowed.status).toBe(200);
    expect(google.grants.at(-1)!.scope.split(' ').sort()).toEqual([SCOPE.readOnly, SCOPE.documents].sort());
    const refused = await postToken(app, { body: { scopes: [SCOPE.readOnly, 'https://www.googleapis.com/auth/gmail.send'] } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain('Scope not allowed: https://www.googleapis.com/auth/gmail.send');
  });

  it('answers a malformed body with 400 naming the problem', async () => {
    const cases: [{ rawBody?: string; body?: unknown }, string][] = [
      [{ rawBody: '{"scopes": [' }, 'not valid JSON'],
      [{ body: { scopes: 'cloud-platform' } }, 'scopes must be an array'],
      [{ body: { scopes: [] } }, 'scopes should not be empty'],
      [{ body: { scope: [SCOPE.cloud] } }, 'property scope should not exist'],
      [{ body: { target_service_account: 'not-an-email' } }, 'target_service_account must be an email'],
    ];
    for (const [request, message] of cases) {
      const response = await postToken(app, request);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain(message);
    }
  });

  it.each([
    ['error500', [SCOPE.storage]],
    ['invalid-json', [SCOPE.bigquery]],
    ['invalid-grant', [SCOPE.storage, SCOPE.bigquery]],
  ] as const)('answers 502 with the seed message when Google fails (%s), leaking nothing of it', async (mode, scopes) => {
    google.mode = mode;
    const response = await postToken(app, { body: { scopes } });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ statusCode: 502, error: 'Bad Gateway', message: 'Failed to obtain access token from Google' });
    expect(text).not.toMatch(/secret detail|internal_failure|invalid_grant|disabled/);
  });

  it('gives up on a hanging Google within the deadline, retries included', async () => {
    google.mode = 'hang';
    const started = Date.now();
    const response = await postToken(app, { body: { scopes: [SCOPE.documents] } });
    expect(response.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('impersonates an allowed service account and refuses any other', async () => {
    const response = await postToken(app, { body: { target_service_account: TARGET, scopes: [SCOPE.readOnly], lifetime: 600 } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    expect(body.access_token).toMatch(/^ya29\.impersonated-/);
    expect(body.expires_in).toBeGreaterThan(590);
    expect(body.expires_in).toBeLessThanOrEqual(600);
    expect(google.impersonations.at(-1)).toEqual({ target: TARGET, scope: [SCOPE.readOnly], lifetime: '600s' });

    const refused = await postToken(app, { body: { target_service_account: 'admin@test-project.iam.gserviceaccount.com' } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe(
      'Impersonation of admin@test-project.iam.gserviceaccount.com is not allowed',
    );
    const tooLong = await postToken(app, { body: { target_service_account: TARGET, lifetime: 7200 } });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { message: string }).message).toBe('lifetime must be at most 3600 seconds');
  });

  it("keeps the seed's status routes", async () => {
    expect(await (await fetch(`${app.url}/`)).json()).toMatchObject({ status: 'ok', service: 'gcp-token' });
    const health = (await (await fetch(`${app.url}/health`)).json()) as Record<string, unknown> & { stats: Record<string, unknown> };
    expect(health).toMatchObject({ status: 'healthy', service_account_email: google.clientEmail, issues: [] });
    expect(health['timestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(health.stats).toEqual({
      total_requests: expect.any(Number),
      successful_requests: expect.any(Number),
      consecutive_failures: expect.any(Number),
      last_successful_token: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/),
      success_rate: expect.any(Number),
    });
    expect((await fetch(`${app.url}/liveness`)).status).toBe(200);
    expect((await fetch(`${app.url}/readiness`)).status).toBe(200);
    const info = (await (await fetch(`${app.url}/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ service: 'gcp-token', service_account_email: google.clientEmail });
  });

  it('counts minted tokens, cache hits and failures in /metrics', async () => {
    const exposition = await (await fetch(`${app.url}/metrics`)).text();
    expect(exposition).toMatch(/gcp_token_tokens_minted_total\{kind="service_account"\} [1-9]/);
    expect(exposition).toMatch(/gcp_token_cache_hits_total [1-9]/);
    expect(exposition).toMatch(/gcp_token_failures_total\{reason="upstream_5xx"\} [1-9]/);
    expect(exposition).toMatch(/gcp_token_upstream_duration_seconds_count\{kind="service_account"\} [1-9]/);
  });

  it('logs one line per token request with the key fingerprint, and never a key or a token', async () => {
    const tokenLines = () => app.logs().filter((line) => line.includes('"event":"token_request"'));
    const before = tokenLines().length;
    await postToken(app, { key: 'key-b' });
    const deadline = Date.now() + 2000;
    while (tokenLines().length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = app.logs();
    const requests = tokenLines();
    expect(requests.length).toBeGreaterThan(500);
    const last = JSON.parse(requests.at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ msg: 'request completed', method: 'POST', url: '/token', status_code: 200, cache: 'hit', outcome: 'success' });
    expect(last['key_id']).toMatch(/^static:[0-9a-f]{12}$/);
    expect(last['request_id']).toEqual(expect.any(String));
    expect(lines.some((line) => /"outcome":"failure","reason":"upstream_5xx"/.test(line))).toBe(true);
    const all = lines.join('\n');
    for (const secret of ['key-a', 'key-b', 'ya29.', 'PRIVATE KEY']) expect(all).not.toContain(secret);
  });
});

describe('gcp-token token refresh and limits', () => {
  const google = new FakeGoogle();
  beforeAll(() => google.start());
  afterAll(() => google.stop());

  it('refreshes a short-lived token ahead of its expiry', async () => {
    google.expiresInSeconds = 3;
    const app = await startApp('gcp-token', env(google, { TOKEN_REFRESH_MARGIN_SECONDS: '2' }));
    try {
      const first = (await (await postToken(app)).json()) as { access_token: string };
      const cached = (await (await postToken(app)).json()) as { access_token: string };
      expect(cached.access_token).toBe(first.access_token);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const refreshed = (await (await postToken(app)).json()) as { access_token: string };
      expect(refreshed.access_token).not.toBe(first.access_token);
      expect(google.grants).toHaveLength(2);
    } finally {
      await app.stop();
      google.expiresInSeconds = 3600;
    }
  });

  it('limits each key to TOKEN_RATE_LIMIT_PER_MINUTE with 429 and Retry-After', async () => {
    const app = await startApp('gcp-token', env(google, { TOKEN_RATE_LIMIT_PER_MINUTE: '3' }));
    try {
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push(await postToken(app));
      expect(codes.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(codes[0]!.headers.get('x-ratelimit-limit')).toBe('3');
      expect(Number(codes[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await postToken(app, { key: 'key-b' })).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('is not ready before credentials, and ready once they are loaded and the endpoint answers', async () => {
    const bare = await startApp('gcp-token', { API_KEY: 'k' });
    const configured = await startApp('gcp-token', env(google));
    try {
      const notReady = await fetch(`${bare.url}/readiness`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { message: string }).message).toContain('SERVICE_ACCOUNT_JSON');
      expect((await postToken(bare, { key: 'k' })).status).toBe(503);
      const health = (await (await fetch(`${bare.url}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'unhealthy', issues: ['Service account credentials not configured properly'] });

      const grantsBefore = google.grants.length;
      const ready = await fetch(`${configured.url}/readiness`);
      expect(ready.status).toBe(200);
      expect(google.grants.length).toBe(grantsBefore);
    } finally {
      await Promise.all([bare.stop(), configured.stop()]);
    }
  });

  it('stops at boot on a key that is not valid JSON, not a service account, or has a bad private key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcp-token-'));
    const badKeyFile = join(dir, 'bad-key.json');
    const pem = (edge: string) => `-----${edge} ${'PRIVATE'} KEY-----`;
    writeFileSync(badKeyFile, google.serviceAccountJson({ private_key: `${pem('BEGIN')}\nnot-a-key\n${pem('END')}\n` }));
    const cases: [Record<string, string>, string][] = [
      [{ SERVICE_ACCOUNT_JSON: '{"type": "service_account", "private_key": "-----BEGIN' }, 'the key is not valid JSON'],
      [{ SERVICE_ACCOUNT_JSON: google.serviceAccountJson({ type: 'authorized_user' }) }, '"type" is not "service_account"'],
      [{ SERVICE_ACCOUNT_JSON: badKeyFile }, '"private_key" is not a valid RSA private key'],
      [{ GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'missing.json') }, 'cannot read the key file'],
    ];
    for (const [variables, reason] of cases) {
      const run = await runAppToExit('gcp-token', { API_KEY: 'k', ...variables });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Service account credentials not configured properly');
      expect(run.stderr).toContain(reason);
      expect(run.stderr).not.toContain('BEGIN');
    }
  });
});
