import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, FakeLoginApi, FakePlatformApi, freePort, startApp } from '@auth-platform/testing';
import {
  type Echo,
  errorOf,
  execute,
  executeOk,
  expectNoSecretsLogged,
  logLine,
  tokenStatus,
  waitFor,
} from './support/executor-client';

describe('executor-auth POST /execute', () => {
  const login = new FakeLoginApi();
  const platform = new FakePlatformApi(login.tokens, '/api');
  const eu = new FakePlatformApi(login.tokens, '/eu/api');
  let app: AppProcess;

  const profile = (variant: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    auth_url: login.loginUrl(variant),
    email: login.email,
    password: login.password,
    base_url: platform.baseUrl,
    ...extra,
  });

  beforeAll(async () => {
    await Promise.all([login.start(), platform.start(), eu.start()]);
    const passwordFile = join(mkdtempSync(join(tmpdir(), 'executor-auth-e2e-')), 'eu-password');
    writeFileSync(passwordFile, `${login.password}\n`);
    const closedPort = await freePort();
    app = await startApp('executor-auth', {
      API_AUTH_URL: login.loginUrl(),
      API_AUTH_EMAIL: login.email,
      API_AUTH_PASSWORD: login.password,
      API_EXECUTOR_BASE_URL: platform.baseUrl,
      API_EXECUTOR_TIMEOUT: '15',
      API_EXECUTOR_MAX_RESPONSE_BYTES: '4096',
      API_AUTH_TOKEN_TTL_SECONDS: '1800',
      EXECUTOR_API_KEYS: 'key-a,key-b',
      EXECUTOR_PROFILES: JSON.stringify({
        eu: {
          auth_url: login.loginUrl({ kind: 'opaque', expires_in: '600' }),
          email: login.email,
          password_file: passwordFile,
          base_url: eu.baseUrl,
          allowed_paths: ['/v1/iks/'],
        },
        second: profile({}),
        ttl: profile({ kind: 'opaque', field: 'token' }),
        'access-token': profile({
          kind: 'opaque',
          field: 'access_token',
          expires_in: '900',
          expires_in_type: 'string',
        }),
        'auth-token': profile({ field: 'authToken', lifetime: '7200' }),
        down: profile({}, { base_url: `http://127.0.0.1:${closedPort}/api` }),
      }),
    });
    await waitFor(
      async () => (await fetch(`${app.url}/health/ready`)).status === 200,
      'every profile to log in',
    );
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all([login.stop(), platform.stop(), eu.stop()]);
  });

  afterEach(() => {
    platform.rejectAll = false;
  });

  it("executes a call with the profile's token, dropping the caller's Authorization and Host", async () => {
    const envelope = await executeOk(app, {
      method: 'post',
      path: '/v1/iks',
      query: { region: 'eu west', tag: ['a', 'b'] },
      body: { name: 'test-cluster' },
      headers: { Authorization: 'Bearer caller-supplied', Host: 'evil.example', 'X-Correlation-Id': 'c-1' },
    });
    expect(envelope.status).toBe(200);
    const echo = envelope.body as Echo;
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/api/v1/iks?region=eu+west&tag=a&tag=b');
    expect(echo.body).toBe('{"name":"test-cluster"}');
    const received = platform.last;
    expect(received.accepted).toBe(true);
    expect(login.tokens.all()).toContain(received.bearer);
    expect(echo.headers['authorization']).toBe(`Bearer ${received.bearer}`);
    expect(echo.headers['host']).toBe(new URL(platform.url).host);
    expect(echo.headers['x-correlation-id']).toBe('c-1');
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.headers['x-request-id']).toEqual(expect.any(String));
    expect(envelope.headers['x-platform-trace']).toBe('t-1');
    expect(envelope.headers).not.toHaveProperty('connection');
    expect(envelope.headers).not.toHaveProperty('content-length');
  });

  it("removes the platform's authentication headers from the response, and never returns the token", async () => {
    const response = await execute(app, { method: 'GET', path: '/auth-headers' });
    const text = await response.text();
    const envelope = JSON.parse(text) as { headers: Record<string, unknown>; body: unknown };
    expect(envelope.body).toEqual({ ok: true });
    expect(Object.keys(envelope.headers)).not.toEqual(expect.arrayContaining(['set-cookie']));
    expect(envelope.headers).not.toHaveProperty('www-authenticate');
    expect(envelope.headers['x-platform-trace']).toBe('t-1');
    for (const token of login.tokens.all()) expect(text).not.toContain(token);
  });

  it('accepts a key of EXECUTOR_API_KEYS as Bearer or X-API-Key and refuses any other with 401', async () => {
    expect((await execute(app, { method: 'GET', path: '/v1/ok' }, { key: 'key-b' })).status).toBe(200);
    expect(
      (await execute(app, { method: 'GET', path: '/v1/ok' }, { key: 'key-a', keyHeader: 'x-api-key' }))
        .status,
    ).toBe(200);
    const before = platform.requests.length;
    for (const key of ['key-c', 'KEY-A', 'key-a2', '', null]) {
      const response = await execute(app, { method: 'GET', path: '/v1/ok' }, { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect((await errorOf(response)).message).toContain('Invalid API key');
    }
    expect(platform.requests.length).toBe(before);
  });

  it("returns the platform's own answers as they are, errors included, with text and binary bodies", async () => {
    for (const status of [404, 409, 500, 503]) {
      const envelope = await executeOk(app, { method: 'DELETE', path: `/status/${status}` });
      expect(envelope).toMatchObject({ status, body: { error: `status ${status}`, detail: 'as asked' } });
    }
    expect(await executeOk(app, { method: 'GET', path: '/text' })).toMatchObject({
      status: 200,
      body: 'plain text, héllo',
    });
    const binary = await executeOk(app, { method: 'GET', path: '/binary' });
    expect(binary).toMatchObject({ body_encoding: 'base64' });
    expect(Buffer.from(binary.body as string, 'base64')).toEqual(Buffer.from([0, 1, 2, 253, 254, 255]));
    expect(await executeOk(app, { method: 'HEAD', path: '/v1/ok' })).toMatchObject({
      status: 200,
      body: null,
    });
  });

  it.each([
    ['/../admin', 'must not contain ".." segments'],
    ['/v1/../../admin', 'must not contain ".." segments'],
    ['/v1/..;/admin', 'must not contain ".." segments'],
    ['/v1/%2e%2e/admin', 'must not contain the encoded character %2E'],
    ['/v1/%2E%2E%2Fadmin', 'must not contain the encoded character %2E'],
    ['/v1%2fadmin', 'must not contain the encoded character %2F'],
    ['/v1/%5c..%5cadmin', 'must not contain the encoded character %5C'],
    ['/v1/%252e%252e/admin', 'must not contain the encoded character %25'],
    ['/v1/%c0%ae%c0%ae/admin', 'not valid UTF-8'],
    ['/v1\\..\\admin', 'must not contain a backslash'],
    ['http://169.254.169.254/latest/meta-data', 'not a URL with a scheme'],
    ['https:evil.example', 'not a URL with a scheme'],
    ['//evil.example/x', 'must not start with "//"'],
    ['v1/iks', 'must start with "/"'],
    ['/v1/iks?admin=true', 'must not contain "?" or "#"'],
    ['/v1/%00', 'must not contain encoded control characters'],
  ])('refuses the path %j with 400, without calling the platform', async (path, reason) => {
    const before = platform.requests.length;
    const { status, message } = await errorOf(await execute(app, { method: 'GET', path }));
    expect(status).toBe(400);
    expect(message).toContain(reason);
    expect(platform.requests.length).toBe(before);
  });

  it("refuses a path outside the profile's allowed prefixes, and sends an allowed one to that profile's platform", async () => {
    const refused = await errorOf(
      await execute(app, { method: 'GET', path: '/v1/admin' }, { profile: 'eu' }),
    );
    expect(refused).toMatchObject({
      status: 400,
      message: 'path /v1/admin is not under an allowed prefix (/v1/iks/)',
    });
    expect(
      (await errorOf(await execute(app, { method: 'GET', path: '/v1/iks' }, { profile: 'eu' }))).status,
    ).toBe(400);
    const envelope = await executeOk(app, { method: 'GET', path: '/v1//iks/./c-1' }, { profile: 'eu' });
    expect((envelope.body as Echo).url).toBe('/eu/api/v1/iks/c-1');
    expect(eu.last.bearer).toMatch(/^opaque-/);
  });

  it('answers an unknown profile with 404 naming the configured ones', async () => {
    const { status, message } = await errorOf(
      await execute(app, { method: 'GET', path: '/v1/ok' }, { profile: 'mars' }),
    );
    expect(status).toBe(404);
    expect(message).toBe(
      'There is no profile named "mars" (configured: default, eu, second, ttl, access-token, auth-token, down)',
    );
  });

  it.each<[string, unknown, string | undefined, string]>([
    ['an empty body', undefined, '', 'Body cannot be empty'],
    [
      'an object without method and path',
      {},
      undefined,
      'method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; path must be',
    ],
    ['a JSON list', [], undefined, 'method must be one of'],
    ['truncated JSON', undefined, '{"method": "GET", "path": ', 'JSON'],
    ['an unknown method', { method: 'TRACE', path: '/v1/ok' }, undefined, 'method must be one of'],
    ['a path that is not a string', { method: 'GET', path: 42 }, undefined, 'path must be a string'],
    [
      'an unknown field',
      { method: 'GET', path: '/v1/ok', url: 'x' },
      undefined,
      'property url should not exist',
    ],
    [
      'a body with GET',
      { method: 'GET', path: '/v1/ok', body: { a: 1 } },
      undefined,
      'body is not allowed with GET',
    ],
    [
      'headers that are a list',
      { method: 'GET', path: '/v1/ok', headers: ['x'] },
      undefined,
      'headers must be an object',
    ],
    [
      'an invalid header name',
      { method: 'GET', path: '/v1/ok', headers: { 'x y': '1' } },
      undefined,
      'invalid header name "x y"',
    ],
    [
      'a header value with a line break',
      { method: 'GET', path: '/v1/ok', headers: { 'x-a': '1\r\nx-b: 2' } },
      undefined,
      'headers.x-a must hold only printable Latin-1 characters',
    ],
    [
      'a header value outside Latin-1',
      { method: 'GET', path: '/v1/ok', headers: { 'x-a': 'price in €' } },
      undefined,
      'headers.x-a must hold only printable Latin-1 characters',
    ],
    [
      'a header given twice',
      { method: 'GET', path: '/v1/ok', headers: { 'X-A': '1', 'x-a': '2' } },
      undefined,
      'headers has "x-a" more than once',
    ],
    [
      'a nested query value',
      { method: 'GET', path: '/v1/ok', query: { a: { b: 1 } } },
      undefined,
      'query.a must be a string, number, boolean or a list of them',
    ],
  ])('answers %s with 400 naming what is wrong', async (_case, call, rawBody, reason) => {
    const { status, message } = await errorOf(await execute(app, call, { rawBody }));
    expect(status).toBe(400);
    expect(message).toContain(reason);
  });

  it('answers 502 when the platform is unreachable or its response is too large', async () => {
    const unreachable = await errorOf(
      await execute(app, { method: 'GET', path: '/v1/ok' }, { profile: 'down' }),
    );
    expect(unreachable).toMatchObject({
      status: 502,
      message: 'Could not reach the platform API (ECONNREFUSED)',
    });
    const large = await errorOf(
      await execute(app, { method: 'GET', path: '/large', query: { bytes: 5000 } }),
    );
    expect(large).toMatchObject({
      status: 502,
      message: "The platform's response is larger than 4096 bytes (API_EXECUTOR_MAX_RESPONSE_BYTES)",
    });
  });

  it('on a 401 logs in once and retries once: 200 concurrent calls with a revoked token cause one login', async () => {
    await executeOk(app, { method: 'GET', path: '/v1/warm' });
    const revoked = platform.last.bearer;
    login.tokens.revoke(String(revoked));
    const loginsBefore = login.attempts.length;
    const requestsBefore = platform.requests.length;
    const envelopes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => executeOk(app, { method: 'GET', path: `/v1/items/${i}` })),
    );
    expect(envelopes.every((envelope) => envelope.status === 200)).toBe(true);
    expect(login.attempts.length - loginsBefore).toBe(1);
    const calls = platform.requests.slice(requestsBefore);
    const rejected = calls.filter((call) => !call.accepted);
    expect(rejected.every((call) => call.bearer === revoked)).toBe(true);
    expect(new Set(calls.filter((call) => call.accepted).map((call) => call.bearer)).size).toBe(1);
    expect(calls.length).toBe(200 + rejected.length);
  });

  it('does not loop when the new token is rejected too: the second 401 is returned as it is', async () => {
    platform.rejectAll = true;
    const loginsBefore = login.attempts.length;
    const requestsBefore = platform.requests.length;
    const envelope = await executeOk(app, { method: 'GET', path: '/v1/ok' }, { profile: 'second' });
    expect(envelope).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(platform.requests.length - requestsBefore).toBe(2);
    expect(login.attempts.length - loginsBefore).toBe(1);
    const [first, second] = platform.requests.slice(requestsBefore).map((request) => request.bearer);
    expect(second).not.toBe(first);
  });

  it("keeps the seed's token field fallbacks and takes the expiry from exp, expires_in or the TTL", async () => {
    const now = Date.now();
    const expiresIn = async (name: string) => {
      const status = await tokenStatus(app, name);
      return {
        source: status['token_expiry_source'],
        seconds: (Date.parse(String(status['token_expires_at'])) - now) / 1000,
      };
    };
    const near = (seconds: number) => ({
      asymmetricMatch: (actual: number) => Math.abs(actual - seconds) < 60,
      toString: () => `~${seconds}`,
    });
    expect(await expiresIn('default')).toEqual({ source: 'jwt_exp', seconds: near(3600) });
    expect(await expiresIn('auth-token')).toEqual({ source: 'jwt_exp', seconds: near(7200) });
    expect(await expiresIn('access-token')).toEqual({ source: 'expires_in', seconds: near(900) });
    expect(await expiresIn('eu')).toEqual({ source: 'expires_in', seconds: near(600) });
    expect(await expiresIn('ttl')).toEqual({ source: 'ttl', seconds: near(1800) });
    for (const name of ['ttl', 'access-token', 'auth-token']) {
      expect(await executeOk(app, { method: 'GET', path: '/v1/ok' }, { profile: name })).toMatchObject({
        status: 200,
      });
      expect(platform.last.accepted).toBe(true);
    }
    const status = await tokenStatus(app, 'default');
    expect(status).toMatchObject({ mode: 'login', consecutive_failures: 0, last_error: null, status: 'up' });
    expect(Date.parse(String(status['next_refresh_at']))).toBeLessThan(
      Date.parse(String(status['token_expires_at'])) - 12 * 60_000 + 1000,
    );
  });

  it('counts logins, refreshes, 401 retries and executions by status in /metrics', async () => {
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    const health = await (await fetch(`${app.url}/health`)).text();
    for (const secret of [login.password, ...login.tokens.all()]) {
      expect(metrics).not.toContain(secret);
      expect(health).not.toContain(secret);
    }
    expect(metrics).toMatch(/executor_auth_logins_total\{profile="default",outcome="success"\} [2-9]/);
    expect(metrics).toMatch(
      /executor_auth_token_refreshes_total\{profile="default",trigger="startup",outcome="success"\} 1/,
    );
    expect(metrics).toMatch(
      /executor_auth_token_refreshes_total\{profile="default",trigger="unauthorized",outcome="success"\} 1/,
    );
    expect(metrics).toMatch(/executor_auth_token_invalidations_total\{profile="second"\} 1/);
    expect(metrics).toMatch(
      /executor_auth_unauthorized_retries_total\{profile="default",outcome="succeeded"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /executor_auth_unauthorized_retries_total\{profile="second",outcome="rejected_again"\} 1/,
    );
    expect(metrics).toMatch(/executor_auth_executions_total\{profile="default",status="200"\} [1-9]/);
    expect(metrics).toMatch(/executor_auth_executions_total\{profile="default",status="503"\} 1/);
    expect(metrics).toMatch(
      /executor_auth_executions_total\{profile="down",status="platform_unreachable"\} 1/,
    );
    expect(metrics).toMatch(/executor_auth_platform_duration_seconds_count\{profile="default"\} [1-9]/);
    expect(metrics).toMatch(/executor_auth_token_expiry_timestamp_seconds\{profile="default"\} \d+/);
  });

  it('logs one access line per call with what it did, and never the password or a token', async () => {
    await executeOk(
      app,
      { method: 'GET', path: '/v1/logged', headers: { authorization: 'Bearer caller-secret-token' } },
      { key: 'key-b' },
    );
    await waitFor(
      () => app.logs().some((line) => line.includes('"upstream_path":"/v1/logged"')),
      'the access line',
    );
    const line = logLine(app, '"upstream_path":"/v1/logged"');
    expect(line).toMatchObject({
      msg: 'request completed',
      url: '/execute',
      status_code: 200,
      event: 'execute',
      profile: 'default',
      upstream_method: 'GET',
      upstream_status: 200,
      dropped_headers: ['authorization'],
      key_id: expect.stringMatching(/^key:[0-9a-f]{12}$/),
      request_id: expect.any(String),
    });
    expect(app.logs().filter((l) => l.includes(`"request_id":"${String(line['request_id'])}"`))).toHaveLength(
      1,
    );
    const tokens = login.tokens.all();
    expect(tokens.length).toBeGreaterThan(5);
    expectNoSecretsLogged(
      [app],
      [
        login.password,
        'key-a',
        'key-b',
        'caller-secret-token',
        ...tokens,
        ...tokens.map((t) => t.slice(-16)),
      ],
    );
  });
});
