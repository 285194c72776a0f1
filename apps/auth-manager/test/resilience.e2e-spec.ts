import {
  type AppProcess,
  DevIdp,
  POSTGRES,
  type TestDatabase,
  createTestDatabase,
  freePort,
  startApp,
} from '@auth-platform/testing';
import { CLIENT, appEnv, caller, waitUntilReady } from './support/auth-manager';
import { TcpProxy } from './support/tcp-proxy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('auth-manager under concurrency and failures', () => {
  let database: TestDatabase;
  let idp: DevIdp;
  let proxy: TcpProxy;
  /** The provider as the apps reach it: cutting this makes it unreachable. */
  let idpProxy: TcpProxy;
  /** Two replicas on one database; `b` reaches PostgreSQL through a proxy the tests can cut. */
  let a: AppProcess;
  let b: AppProcess;

  const rows = () => database.query('SELECT row_to_json(t) AS row FROM vault_tokens t ORDER BY id');

  /** An offline token stored through the callback, with the access token that came with it. */
  async function storeThroughOfflineFlow(app: AppProcess, user: string): Promise<string> {
    const authorization = await caller(app).get(`/offline/authorize?user_id=${user}`);
    const redirect = await idp.approve(authorization.body['authorization_url'] as string, user);
    const response = await fetch(`${app.url}/offline/callback${redirect.search}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: { id: string } }).token.id;
  }

  beforeAll(async () => {
    const idpPort = await freePort();
    idpProxy = await TcpProxy.start({ host: '127.0.0.1', port: idpPort });
    [database, idp, proxy] = await Promise.all([
      createTestDatabase(),
      DevIdp.start({ clients: [CLIENT] }, { port: idpPort, publicPort: idpProxy.port }),
      TcpProxy.start(POSTGRES),
    ]);
    const throughProxy = database.url.replace(`:${POSTGRES.port}/`, `:${proxy.port}/`);
    const fast = { AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS: '2' };
    [a, b] = await Promise.all([
      startApp('auth-manager', appEnv(idp, database, fast)),
      startApp('auth-manager', appEnv(idp, database, { ...fast, DATABASE_URL: throughProxy })),
    ]);
    await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
  }, 60_000);

  afterAll(async () => {
    idp?.resume();
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy?.cut();
    await idpProxy?.cut();
    await idp?.stop();
    await database?.drop();
  });

  it('refreshes once, with no invalid_grant, when 100 callers on two instances ask for an expired access token', async () => {
    const id = await storeThroughOfflineFlow(a, 'alice');
    // Fast-forward the stored access token past its expiry, as if its lifetime had run out.
    await database.query(
      "UPDATE vault_tokens SET access_token_expires_at = now() - interval '1 second' WHERE id = $1",
      [id],
    );
    const grants = idp.refreshGrants();
    const errors = idp.count('grant.error');

    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => caller(i % 2 === 0 ? a : b).post(`/tokens/${id}/access-token`)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((r) => r.body['access_token'])).size).toBe(1);
    expect(idp.refreshGrants()).toBe(grants + 1);
    expect(idp.count('grant.error')).toBe(errors);
    expect(await database.query('SELECT generation FROM vault_tokens WHERE id = $1', [id])).toEqual([
      { generation: 1 },
    ]);
  });

  it('answers 503 and changes nothing stored while the provider is down', async () => {
    const waiting = await idp.signIn('bob');
    const stored = await caller(a).post('/tokens', {
      refresh_token: (await idp.signIn('bob')).refreshToken,
      token_type: 'refresh',
    });
    const id = stored.body['id'] as string;
    const before = await rows();

    await idpProxy.cut();
    let outcomes: { status: number; body: Record<string, unknown>; headers: Headers }[];
    try {
      outcomes = await Promise.all([
        caller(a).post('/tokens', { refresh_token: waiting.refreshToken, token_type: 'refresh' }),
        caller(b).post(`/tokens/${id}/access-token`),
        caller(a).delete(`/tokens/${id}`),
        caller(b).post('/tokens/validate', { token: waiting.accessToken }),
      ]);
      const ready = await fetch(`${a.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { message: string }).message).toContain(
        'identity-provider: The identity provider is unavailable',
      );
    } finally {
      await idpProxy.resume();
    }
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(503);
      expect(outcome.body).toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        message: 'The identity provider is unavailable (unreachable); nothing was changed, retry shortly',
      });
      expect(outcome.headers.get('retry-after')).toBe('5');
    }
    expect(await rows()).toEqual(before);

    // The stored refresh token was neither used up nor lost: it still mints once the provider is back.
    expect((await caller(b).post(`/tokens/${id}/access-token`)).status).toBe(200);
  });

  it('gives up on a provider that accepts connections but never answers, within the deadline', async () => {
    const signed = await idp.signIn('alice');
    idp.pause();
    const started = Date.now();
    let outcome: { status: number; body: Record<string, unknown> };
    try {
      outcome = await caller(a).post('/tokens/validate', { token: signed.accessToken });
    } finally {
      idp.resume();
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome.status).toBe(503);
    expect(outcome.body['message']).toBe(
      'The identity provider is unavailable (timed out); nothing was changed, retry shortly',
    );
  });

  it('recovers from a PostgreSQL restart under load without being restarted', async () => {
    const api = caller(b);
    const results: { sentAt: number; doneAt: number; status: number; code?: unknown }[] = [];
    const clock = () => performance.now();
    let running = true;
    const worker = async () => {
      while (running) {
        const sentAt = clock();
        const response = await api.get('/tokens?user_id=alice');
        results.push({ sentAt, doneAt: clock(), status: response.status, code: response.body['code'] });
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    const sentBetween = (from: number, to: number) =>
      results.filter((r) => r.sentAt >= from && r.sentAt < to);

    await sleep(500);
    const cutAt = clock();
    await proxy.cut();
    await sleep(300);
    const down = await fetch(`${b.url}/health/ready`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { message: string }).message).toContain('database');
    await sleep(1200);
    const resumedAt = clock();
    await proxy.resume();
    await sleep(2000);
    // Then a server-side kill of every connection, as a PostgreSQL restart does (SQLSTATE 57P01).
    const killedAt = clock();
    await database.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database.name],
    );
    await sleep(2500);
    const endAt = clock();
    running = false;
    await Promise.all(workers);

    expect(b.child.exitCode).toBeNull();
    expect(
      results.every((r) => r.status === 200 || (r.status === 503 && r.code === 'DATABASE_UNAVAILABLE')),
    ).toBe(true);
    expect(results.filter((r) => r.doneAt < cutAt).every((r) => r.status === 200)).toBe(true);
    expect(sentBetween(cutAt + 100, resumedAt).some((r) => r.status === 503)).toBe(true);
    // Recovered within 1.5 s of each event, with no restart.
    // Only requests answered before the kill: one in flight when the connections are terminated may fail.
    const afterResume = sentBetween(resumedAt + 1500, killedAt).filter((r) => r.doneAt < killedAt);
    const afterKill = sentBetween(killedAt + 1500, endAt);
    expect(afterResume.length).toBeGreaterThan(0);
    expect(afterKill.length).toBeGreaterThan(0);
    expect([...afterResume, ...afterKill].every((r) => r.status === 200)).toBe(true);
    expect((await fetch(`${b.url}/health/ready`)).status).toBe(200);
  });
});
