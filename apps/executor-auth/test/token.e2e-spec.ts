import { type AppProcess, FakeLoginApi, FakePlatformApi, startApp } from '@auth-platform/testing';
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

const login = new FakeLoginApi();
const platform = new FakePlatformApi(login.tokens);
const started: AppProcess[] = [];

function appEnv(variant: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    API_AUTH_URL: login.loginUrl(variant),
    API_AUTH_EMAIL: login.email,
    API_AUTH_PASSWORD: login.password,
    API_EXECUTOR_BASE_URL: platform.baseUrl,
    EXECUTOR_API_KEYS: 'key-a',
    ...extra,
  };
}

async function start(env: Record<string, string>): Promise<AppProcess> {
  const app = await startApp('executor-auth', env);
  started.push(app);
  return app;
}

/** Login attempts of one app, told apart by the `app` marker in its login URL. */
const attemptsOf = (marker: string) =>
  login.attempts.filter((attempt) => attempt.variant.includes(`app=${marker}`));
const ready = async (app: AppProcess) => (await fetch(`${app.url}/health/ready`)).status === 200;

beforeAll(() => Promise.all([login.start(), platform.start()]));
afterAll(async () => {
  await Promise.all(started.map((app) => app.stop()));
  await Promise.all([login.stop(), platform.stop()]);
});

describe('executor-auth platform token', () => {
  it('makes 1,000 concurrent calls on a cold token wait for one login', async () => {
    login.hold();
    const app = await start(appEnv({ app: 'cold' }));
    try {
      await login.waitForAttempts(login.attempts.length + 1);
      let answered = 0;
      const calls = Array.from({ length: 1000 }, (_, i) =>
        executeOk(app, { method: 'GET', path: `/v1/items/${i}` }).then((envelope) => {
          answered += 1;
          return envelope;
        }),
      );
      // Give the calls time to reach the service; none can be answered while the only login is held.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(answered).toBe(0);
      login.release();
      const envelopes = await Promise.all(calls);
      expect(envelopes.every((envelope) => envelope.status === 200)).toBe(true);
      expect(attemptsOf('cold')).toHaveLength(1);
      const bearers = new Set(
        platform.requests.filter((r) => r.url.startsWith('/api/v1/items/')).map((r) => r.bearer),
      );
      expect(bearers.size).toBe(1);
    } finally {
      login.release();
      await app.stop();
    }
  });

  it('refreshes ahead of expiry in the background while callers keep the current token', async () => {
    // An 8 s JWT: the refresh starts 4 to 4.8 s before expiry (half the lifetime at most, with jitter).
    const app = await start(appEnv({ app: 'refresh', lifetime: '8' }));
    await waitFor(() => ready(app), 'the first login');
    const first = await tokenStatus(app);
    const lead = Date.parse(String(first['token_expires_at'])) - Date.parse(String(first['next_refresh_at']));
    expect(lead).toBeGreaterThanOrEqual(3000);
    expect(lead).toBeLessThanOrEqual(4800);
    const firstToken = (await executeOk(app, { method: 'GET', path: '/v1/before' })).body as Echo;

    login.hold();
    try {
      await login.waitForAttempts(login.attempts.length + 1);
      const during = await Promise.all(
        Array.from({ length: 20 }, () => executeOk(app, { method: 'GET', path: '/v1/during' })),
      );
      expect(during.every((envelope) => envelope.status === 200)).toBe(true);
      expect(new Set(during.map((envelope) => (envelope.body as Echo).headers['authorization']))).toEqual(
        new Set([firstToken.headers['authorization']]),
      );
      expect(await tokenStatus(app)).toMatchObject({
        login_in_flight: true,
        token_expires_at: first['token_expires_at'],
      });
    } finally {
      login.release();
    }
    await waitFor(
      async () => (await tokenStatus(app))['last_refresh_at'] !== first['last_refresh_at'],
      'the refresh to finish',
    );
    const after = (await executeOk(app, { method: 'GET', path: '/v1/after' })).body as Echo;
    expect(after.headers['authorization']).not.toBe(firstToken.headers['authorization']);
    expect(attemptsOf('refresh')).toHaveLength(2);
    await app.stop();
  });

  it('retries a failing login (timeouts and 5xx) with backoff until it succeeds', async () => {
    login.failNext(1, 'hang');
    login.failNext(2, 'error503');
    const app = await start(
      appEnv({ app: 'retry' }, { API_EXECUTOR_TIMEOUT: '1', API_EXECUTOR_MAX_RETRIES: '3' }),
    );
    await waitFor(() => ready(app), 'the login to succeed after retries');
    expect(attemptsOf('retry').map((attempt) => attempt.status)).toEqual(['hang', 503, 503, 200]);
    expect((await executeOk(app, { method: 'GET', path: '/v1/ok' })).status).toBe(200);
    const failures = app
      .logs()
      .filter((line) => line.includes('"event":"platform_login_failed"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failures.map((f) => [f['attempt'], f['code'], f['will_retry']])).toEqual([
      [1, 'LOGIN_UNAVAILABLE', true],
      [2, 'LOGIN_UNAVAILABLE', true],
      [3, 'LOGIN_UNAVAILABLE', true],
    ]);
    expect(String(failures[0]?.['reason'])).toContain('did not answer within 1 s');
    failures.forEach((failure, retry) => {
      expect(failure['retry_in_ms']).toBeGreaterThanOrEqual(0);
      expect(failure['retry_in_ms']).toBeLessThan(250 * 2 ** retry);
    });
    await app.stop();
  });

  it('after API_EXECUTOR_MAX_RETRIES answers 503 with Retry-After at once, then recovers in the background', async () => {
    // Two 500s exhaust the one retry; the background retry that follows is held until the checks are done.
    login.failNext(2, 'error500');
    login.hold();
    const before = login.attempts.length;
    const app = await start(appEnv({ app: 'exhausted' }, { API_EXECUTOR_MAX_RETRIES: '1' }));
    try {
      await login.waitForAttempts(before + 3);
      expect(attemptsOf('exhausted').map((attempt) => attempt.status)).toEqual([500, 500]);
      const probe = await fetch(`${app.url}/health/ready`);
      expect(probe.status).toBe(503);
      expect(((await probe.json()) as { message: string }).message).toContain(
        'platform-token:default: The platform login failed: the login API answered HTTP 500 (1 consecutive failure; last refresh: never)',
      );
      const response = await execute(app, { method: 'GET', path: '/v1/ok' });
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await errorOf(response)).message).toBe(
        'The platform login failed: the login API answered HTTP 500',
      );
    } finally {
      login.release();
    }
    await waitFor(() => ready(app), 'the background retry to log in');
    expect(attemptsOf('exhausted').map((attempt) => attempt.status)).toEqual([500, 500, 200]);
    expect((await executeOk(app, { method: 'GET', path: '/v1/ok' })).status).toBe(200);
    await app.stop();
  });

  it('does not retry a rejected password: not ready and 503 naming the variables to check', async () => {
    const app = await start({
      ...appEnv({ app: 'rejected' }, { API_AUTH_PASSWORD: 'wrong-password-123' }),
      EXECUTOR_PROFILES: JSON.stringify({
        nofield: {
          auth_url: login.loginUrl({ app: 'nofield', field: 'none' }),
          email: login.email,
          password: login.password,
          base_url: platform.baseUrl,
        },
      }),
    });
    await waitFor(
      () => attemptsOf('rejected').length >= 1 && attemptsOf('nofield').length >= 1,
      'the logins',
    );
    const probe = await fetch(`${app.url}/health/ready`);
    expect(probe.status).toBe(503);
    const { message } = (await probe.json()) as { message: string };
    expect(message).toContain(
      'platform-token:default: The platform rejected the login (HTTP 401): check API_AUTH_EMAIL and API_AUTH_PASSWORD (1 consecutive failure; last refresh: never)',
    );
    expect(message).toContain(
      'platform-token:nofield: The platform login failed: the login response has none of the fields accessToken, access_token, token, authToken',
    );
    for (let i = 0; i < 5; i++) {
      const response = await execute(app, { method: 'GET', path: '/v1/ok' });
      expect(response.status).toBe(503);
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await errorOf(response)).message).toBe(
        'The platform rejected the login (HTTP 401): check API_AUTH_EMAIL and API_AUTH_PASSWORD',
      );
    }
    expect(attemptsOf('rejected')).toHaveLength(1);
    expect(attemptsOf('nofield')).toHaveLength(1);
    expect(logLine(app, '"event":"platform_token_refresh_failed","profile":"default"')).toMatchObject({
      level: 50,
      code: 'CREDENTIALS_REJECTED',
      consecutive_failures: 1,
    });
    expectNoSecretsLogged([app], ['wrong-password-123', login.password]);
    await app.stop();
  });

  it('uses a static API_AUTH_TOKEN as it is: no login, and a 401 is returned without a retry', async () => {
    const issued = (await (
      await fetch(login.loginUrl({ app: 'static-source' }), {
        method: 'POST',
        body: JSON.stringify({ email: login.email, password: login.password }),
      })
    ).json()) as { accessToken: string };
    const app = await start({
      API_AUTH_TOKEN: issued.accessToken,
      API_EXECUTOR_BASE_URL: platform.baseUrl,
      EXECUTOR_API_KEYS: 'key-a',
      API_EXECUTOR_TIMEOUT: '1',
    });
    await waitFor(() => ready(app), 'readiness');
    expect(await tokenStatus(app)).toMatchObject({ mode: 'static', token_expiry_source: 'jwt_exp' });
    const envelope = await executeOk(app, { method: 'GET', path: '/v1/ok' });
    expect((envelope.body as Echo).headers['authorization']).toBe(`Bearer ${issued.accessToken}`);

    const sent = Date.now();
    const timeout = await errorOf(await execute(app, { method: 'GET', path: '/hang' }));
    expect(timeout).toMatchObject({
      status: 504,
      message: 'The platform did not answer within 1 s (API_EXECUTOR_TIMEOUT)',
    });
    expect(Date.now() - sent).toBeLessThan(10_000);

    login.tokens.revoke(issued.accessToken);
    const before = platform.requests.length;
    expect(await executeOk(app, { method: 'GET', path: '/v1/ok' })).toMatchObject({ status: 401 });
    expect(platform.requests.length - before).toBe(1);
    expect(
      login.attempts.filter((attempt) => !attempt.variant.includes('app=static-source') && attempt.at > sent),
    ).toEqual([]);
    await app.stop();
  });

  it('never logs the password or a token, in any app', () => {
    const tokens = login.tokens.all();
    expectNoSecretsLogged(started, [login.password, ...tokens, ...tokens.map((token) => token.slice(-16))]);
  });
});
