import { randomUUID } from 'node:crypto';
import { createStateToken, keyFingerprint, keyringFromHex } from '@auth-platform/crypto';
import {
  type AppProcess,
  Browser,
  DevIdp,
  type TestDatabase,
  createTestDatabase,
  postOversized,
  startApp,
} from '@auth-platform/testing';
import { OFFLINE_STATE_PURPOSE } from '../src/offline/offline-authorization.service';
import { tokenAssociatedData } from '../src/vault/token-cipher';
import {
  ADMIN_CLIENT,
  API_KEY,
  CLIENT,
  OTHER_API_KEY,
  OTHER_CLIENT,
  REDIRECT_URI,
  STATE_SECRET,
  VAULT_KEY,
  appEnv,
  caller,
  eventually,
  waitUntilReady,
} from './support/auth-manager';

interface StoredRow {
  id: string;
  user_id: string;
  refresh_token_ciphertext: string;
  access_token_ciphertext: string | null;
  generation: number;
  key_id: string;
}

describe('auth-manager vault against PostgreSQL and oidc-provider', () => {
  let database: TestDatabase;
  let idp: DevIdp;
  let app: AppProcess;
  let api: ReturnType<typeof caller>;
  /** Every token the tests saw in clear, to prove none reaches the table, a response it should not, or a log. */
  const secrets = new Set<string>();

  const keyring = keyringFromHex(VAULT_KEY);
  const storedRow = async (id: string) =>
    (await database.query<StoredRow>('SELECT * FROM vault_tokens WHERE id = $1', [id]))[0];
  const storedRefreshToken = async (id: string) => {
    const row = await storedRow(id);
    if (!row) throw new Error(`no row ${id}`);
    return keyring.decrypt(
      row.refresh_token_ciphertext,
      tokenAssociatedData({ id, userId: row.user_id }, 'refresh_token'),
    );
  };
  const signIn = async (user: string, options: Parameters<DevIdp['signIn']>[1] = {}) => {
    const signed = await idp.signIn(user, options);
    secrets.add(signed.refreshToken).add(signed.accessToken);
    return signed;
  };
  const store = async (refreshToken: string, tokenType: 'refresh' | 'offline' = 'refresh') => {
    const response = await api.post('/tokens', { refresh_token: refreshToken, token_type: tokenType });
    expect(response.status).toBe(201);
    return response.body as { id: string; session_id: string | null };
  };
  const mint = async (id: string) => {
    const response = await api.post(`/tokens/${id}/access-token`);
    if (typeof response.body['access_token'] === 'string') secrets.add(response.body['access_token']);
    return response;
  };

  beforeAll(async () => {
    [database, idp] = await Promise.all([
      createTestDatabase(),
      DevIdp.start({
        clients: [CLIENT, OTHER_CLIENT],
        admin_client: ADMIN_CLIENT,
        users: { alice: 'alice', bob: 'bob', carol: 'carol' },
      }),
    ]);
    app = await startApp(
      'auth-manager',
      appEnv(idp, database, {
        KEYCLOAK_ADMIN_CLIENT_ID: ADMIN_CLIENT.client_id,
        KEYCLOAK_ADMIN_CLIENT_SECRET: ADMIN_CLIENT.client_secret,
      }),
    );
    await waitUntilReady(app);
    api = caller(app);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await idp?.stop();
    await database?.drop();
  });

  describe('tokens', () => {
    let stored: { id: string; session_id: string | null };
    let original: string;

    it('stores a refresh token after introspection, recording user, session, scopes and expiry', async () => {
      const signed = await signIn('alice');
      original = signed.refreshToken;
      const response = await api.post('/tokens', { refresh_token: original, token_type: 'refresh' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        user_id: 'alice',
        session_id: signed.sid,
        token_type: 'refresh',
        client_id: CLIENT.client_id,
        scopes: ['openid'],
        status: 'active',
        key_id: keyFingerprint(VAULT_KEY),
        revoked_at: null,
        last_refreshed_at: null,
      });
      expect(
        Math.abs(Date.parse(response.body['expires_at'] as string) - (Date.now() + 1800_000)),
      ).toBeLessThan(30_000);
      expect(response.text).not.toContain(original);
      stored = response.body as typeof stored;

      const again = await api.post('/tokens', { refresh_token: original, token_type: 'refresh' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        code: 'TOKEN_ALREADY_STORED',
        message: `refresh_token is already stored as ${stored.id}`,
      });
    });

    it('mints with one refresh grant, storing the rotated refresh token before answering', async () => {
      const grants = idp.refreshGrants();
      const response = await mint(stored.id);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'openid' });
      expect(response.body['expires_in']).toBeGreaterThan(250);
      expect(idp.refreshGrants()).toBe(grants + 1);
      expect(await idp.introspect(response.body['access_token'] as string)).toMatchObject({
        active: true,
        sub: 'alice',
      });

      const row = await storedRow(stored.id);
      expect(row?.generation).toBe(1);
      const rotated = await storedRefreshToken(stored.id);
      secrets.add(rotated);
      expect(rotated).not.toBe(original);
      expect(await idp.introspect(rotated)).toMatchObject({ active: true, sub: 'alice' });
      expect(await idp.introspect(original)).toMatchObject({ active: false });
    });

    it('serves a valid access token again without calling the provider', async () => {
      const grants = idp.refreshGrants();
      const first = await mint(stored.id);
      const second = await mint(stored.id);
      expect(second.body['access_token']).toBe(first.body['access_token']);
      expect(idp.refreshGrants()).toBe(grants);
    });

    it('lists metadata by user, never a token', async () => {
      const response = await api.get('/tokens?user_id=alice');
      expect(response.status).toBe(200);
      const tokens = response.body['tokens'] as Record<string, unknown>[];
      expect(tokens.map((t) => t['id'])).toContain(stored.id);
      for (const token of tokens) {
        expect(Object.keys(token).sort()).toEqual(
          [
            'client_id',
            'created_at',
            'expires_at',
            'id',
            'key_id',
            'last_refreshed_at',
            'revoked_at',
            'scopes',
            'session_id',
            'status',
            'token_type',
            'user_id',
          ].sort(),
        );
      }
      expect(tokens.find((t) => t['id'] === stored.id)?.['last_refreshed_at']).toEqual(expect.any(String));
      for (const secret of secrets) expect(response.text).not.toContain(secret);
      expect((await api.get('/tokens?user_id=nobody')).body).toEqual({ tokens: [] });
    });

    it("validates an access token with the provider's verdict, caching it", async () => {
      const minted = (await mint(stored.id)).body['access_token'] as string;
      const introspections = idp.count('introspection.success');
      const first = await api.post('/tokens/validate', { token: minted });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        active: true,
        sub: 'alice',
        client_id: CLIENT.client_id,
        scope: 'openid',
      });
      const second = await api.post('/tokens/validate', { token: minted });
      expect(second.body).toEqual(first.body);
      expect(idp.count('introspection.success')).toBe(introspections + 1);
      await eventually(() => {
        const lines = app.logs().filter((line) => line.includes('"token_validated"'));
        expect(lines.at(-1)).toContain('"cache":"hit"');
        expect(lines.at(-2)).toContain('"cache":"miss"');
      });

      const garbage = await api.post('/tokens/validate', { token: 'not-a-token-at-all' });
      expect(garbage.status).toBe(200);
      expect(garbage.body).toEqual({ active: false });
    });

    it('stores an offline token and refuses a token of the wrong kind, client or state', async () => {
      const offline = await signIn('alice', { scope: 'openid offline_access' });
      const asRefresh = await api.post('/tokens', {
        refresh_token: offline.refreshToken,
        token_type: 'refresh',
      });
      expect(asRefresh.status).toBe(400);
      expect(asRefresh.body).toMatchObject({
        code: 'TOKEN_TYPE_MISMATCH',
        message: expect.stringContaining('send token_type offline'),
      });

      const stored = await api.post('/tokens', {
        refresh_token: offline.refreshToken,
        token_type: 'offline',
      });
      expect(stored.status).toBe(201);
      expect(stored.body).toMatchObject({
        token_type: 'offline',
        scopes: ['openid', 'offline_access'],
        user_id: 'alice',
      });

      const online = await signIn('bob');
      const asOffline = await api.post('/tokens', {
        refresh_token: online.refreshToken,
        token_type: 'offline',
      });
      expect(asOffline.status).toBe(400);
      expect(asOffline.body['message']).toBe(
        'token_type is offline but the token was not granted offline_access',
      );

      const accessToken = await api.post('/tokens', {
        refresh_token: online.accessToken,
        token_type: 'refresh',
      });
      expect(accessToken.status).toBe(400);
      expect(accessToken.body['message']).toBe(
        'refresh_token is an access token, not a refresh or offline token',
      );

      const foreign = await signIn('bob', { client: OTHER_CLIENT });
      const other = await api.post('/tokens', { refresh_token: foreign.refreshToken, token_type: 'refresh' });
      expect(other.status).toBe(400);
      expect(other.body).toMatchObject({ code: 'TOKEN_ISSUED_TO_OTHER_CLIENT' });

      const dead = await api.post('/tokens', {
        refresh_token: 'no-such-refresh-token',
        token_type: 'refresh',
      });
      expect(dead.status).toBe(400);
      expect(dead.body).toMatchObject({ code: 'TOKEN_NOT_ACTIVE' });
    });

    it('revokes at the provider and deletes on DELETE /tokens/{id}', async () => {
      const signed = await signIn('bob');
      const { id } = await store(signed.refreshToken);
      expect((await mint(id)).status).toBe(200);
      const current = await storedRefreshToken(id);
      secrets.add(current);
      const revocations = idp.count('revocation.success');

      const deleted = await api.delete(`/tokens/${id}`);
      expect(deleted.status).toBe(204);
      expect(idp.count('revocation.success')).toBe(revocations + 1);
      expect(await idp.introspect(current)).toMatchObject({ active: false });
      expect(await storedRow(id)).toBeUndefined();
      expect((await api.get(`/tokens/${id}`)).status).toBe(404);
      const gone = await mint(id);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ code: 'TOKEN_NOT_FOUND', message: `No stored token with id ${id}` });
      expect((await api.delete(`/tokens/${id}`)).status).toBe(404);
    });

    it('marks the row revoked on invalid_grant and answers 401 REFRESH_TOKEN_REVOKED without asking again', async () => {
      const signed = await signIn('bob');
      const { id } = await store(signed.refreshToken);
      await idp.revoke(signed.refreshToken);
      const errors = idp.count('grant.error', { error: 'invalid_grant' });

      const refused = await mint(id);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'REFRESH_TOKEN_REVOKED',
      });
      expect(refused.body['message']).toContain('the user must sign in again');
      expect(idp.count('grant.error', { error: 'invalid_grant' })).toBe(errors + 1);
      expect((await api.get(`/tokens/${id}`)).body).toMatchObject({
        status: 'revoked',
        revoked_at: expect.any(String),
      });

      const again = await mint(id);
      expect(again.status).toBe(401);
      expect(idp.count('grant.error', { error: 'invalid_grant' })).toBe(errors + 1);
    });

    it('detects a tampered ciphertext and one moved to another row', async () => {
      const [first, second] = await Promise.all([signIn('carol'), signIn('carol')]);
      const a = await store(first.refreshToken);
      const b = await store(second.refreshToken);
      const rowA = await storedRow(a.id);
      const rowB = await storedRow(b.id);
      if (!rowA || !rowB) throw new Error('rows missing');

      const flipped =
        rowA.refresh_token_ciphertext.slice(0, -3) +
        (rowA.refresh_token_ciphertext.at(-3) === 'A' ? 'B' : 'A') +
        rowA.refresh_token_ciphertext.slice(-2);
      await database.query('UPDATE vault_tokens SET refresh_token_ciphertext = $2 WHERE id = $1', [
        a.id,
        flipped,
      ]);
      const tampered = await mint(a.id);
      expect(tampered.status).toBe(500);
      expect(tampered.body).toMatchObject({
        code: 'TOKEN_INTEGRITY_CHECK_FAILED',
        message: `Stored token ${a.id} failed its integrity check (tampered or corrupted) and cannot be used`,
      });

      await database.query('UPDATE vault_tokens SET refresh_token_ciphertext = $2 WHERE id = $1', [
        b.id,
        rowA.refresh_token_ciphertext,
      ]);
      const moved = await mint(b.id);
      expect(moved.status).toBe(500);
      expect(moved.body).toMatchObject({ code: 'TOKEN_INTEGRITY_CHECK_FAILED' });
      await eventually(() =>
        expect(app.logs().filter((line) => line.includes('"vault_integrity_failure"'))).toHaveLength(2),
      );
    });
  });

  describe('offline tokens', () => {
    const authorize = async (user: string) => {
      const response = await api.get(`/offline/authorize?user_id=${user}`);
      expect(response.status).toBe(200);
      return response.body['authorization_url'] as string;
    };
    const callback = (url: URL | string) =>
      fetch(`${app.url}/offline/callback${typeof url === 'string' ? url : url.search}`);

    it('runs the whole flow: authorization URL, sign-in and consent at the provider, callback, stored offline token', async () => {
      const response = await api.get('/offline/authorize?user_id=alice');
      expect(response.body).toMatchObject({
        user_id: 'alice',
        redirect_uri: REDIRECT_URI,
        state_expires_at: expect.any(String),
      });
      const url = new URL(response.body['authorization_url'] as string);
      expect(url.href.startsWith(`${idp.issuer}/auth?`)).toBe(true);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: CLIENT.client_id,
        response_type: 'code',
        scope: 'openid offline_access',
        redirect_uri: REDIRECT_URI,
        code_challenge_method: 'S256',
        prompt: 'consent',
      });
      expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);

      const redirect = await idp.approve(url.href, 'alice');
      expect(redirect.href.startsWith(REDIRECT_URI)).toBe(true);
      const grants = idp.refreshGrants();
      const done = await callback(redirect);
      expect(done.status).toBe(200);
      const body = (await done.json()) as {
        message: string;
        token: { id: string; session_id: string; scopes: string[] };
      };
      expect(body).toMatchObject({
        message: 'Offline token stored',
        token: { user_id: 'alice', token_type: 'offline', status: 'active' },
      });
      expect(body.token.scopes).toEqual(['openid', 'offline_access']);
      expect(body.token.session_id).toEqual(expect.any(String));

      // The access token that came with the code is stored too: the first mint needs no refresh.
      const minted = await mint(body.token.id);
      expect(minted.status).toBe(200);
      expect(idp.refreshGrants()).toBe(grants);
      expect(await idp.introspect(await storedRefreshToken(body.token.id))).toMatchObject({
        active: true,
        scope: 'openid offline_access',
      });

      const replayed = await callback(redirect);
      expect(replayed.status).toBe(400);
      expect(await replayed.json()).toMatchObject({
        code: 'INVALID_STATE',
        message: 'state was already used; start again at /offline/authorize',
      });
    });

    it('refuses a tampered, foreign or expired state with 400', async () => {
      const redirect = await idp.approve(await authorize('alice'), 'alice');
      const state = redirect.searchParams.get('state') ?? '';
      const [payload = '', signature = ''] = state.split('.');
      const edited = Buffer.from(payload, 'base64url').toString('utf8').replace('"alice"', '"bob"');
      const cases: [string, string][] = [
        [
          `${Buffer.from(edited).toString('base64url')}.${signature}`,
          'state was tampered with or was not issued by this service',
        ],
        [
          createStateToken('x'.repeat(40), {
            purpose: OFFLINE_STATE_PURPOSE,
            payload: { uid: 'alice', n: 'n', v: 'v' },
            ttlSeconds: 600,
          }),
          'state was tampered with or was not issued by this service',
        ],
        [
          createStateToken(STATE_SECRET, {
            purpose: OFFLINE_STATE_PURPOSE,
            payload: { uid: 'alice', n: 'n', v: 'v' },
            ttlSeconds: 60,
            now: new Date(Date.now() - 120_000),
          }),
          'state has expired; start again at /offline/authorize',
        ],
        ['garbage', 'state is malformed or was not issued by this service'],
      ];
      for (const [forged, message] of cases) {
        const query = new URLSearchParams(redirect.search);
        query.set('state', forged);
        const response = await callback(`?${query}`);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'INVALID_STATE', message });
      }
      // The genuine state was never consumed by the forgeries.
      expect((await callback(redirect)).status).toBe(200);
    });

    it('refuses with 403 a sign-in as another user than the link was made for, keeping and leaving nothing', async () => {
      const before = ((await api.get('/tokens?user_id=alice')).body['tokens'] as unknown[]).length;
      const revocations = idp.count('revocation.success');
      const redirect = await idp.approve(await authorize('bob'), 'alice');
      const response = await callback(redirect);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({
        code: 'SUBJECT_MISMATCH',
        message: 'The account that signed in is not the user this authorization link was made for',
      });
      expect(((await api.get('/tokens?user_id=alice')).body['tokens'] as unknown[]).length).toBe(before);
      expect(
        ((await api.get('/tokens?user_id=bob')).body['tokens'] as { token_type: string }[]).filter(
          (t) => t.token_type === 'offline',
        ),
      ).toHaveLength(0);
      expect(idp.count('revocation.success')).toBe(revocations + 1);
    });

    it('answers 400 when the user denies consent', async () => {
      const redirect = await idp.approve(await authorize('alice'), 'alice', { deny: true });
      expect(redirect.searchParams.get('error')).toBe('access_denied');
      const response = await callback(redirect);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        code: 'AUTHORIZATION_DENIED',
        message: 'The identity provider did not authorize the request (access_denied)',
      });
    });
  });

  describe('sessions', () => {
    it('lists the sessions the vault knows and ends one at the provider and in the vault', async () => {
      const browser = new Browser();
      const online = await signIn('carol', { browser });
      const offline = await signIn('carol', { browser, scope: 'openid offline_access' });
      expect(offline.sid).toBe(online.sid);
      const other = await signIn('carol');
      const tokens = [
        await store(online.refreshToken),
        await store(offline.refreshToken, 'offline'),
        await store(other.refreshToken),
      ];
      expect((await mint(tokens[0]?.id ?? '')).status).toBe(200);

      const listed = await api.get('/sessions?user_id=carol');
      expect(listed.status).toBe(200);
      const sessions = listed.body['sessions'] as Record<string, unknown>[];
      const first = sessions.find((s) => s['session_id'] === online.sid);
      expect(first).toMatchObject({
        token_count: 2,
        active_token_count: 2,
        first_seen_at: expect.any(String),
        last_refresh_at: expect.any(String),
      });
      expect(sessions.find((s) => s['session_id'] === other.sid)).toMatchObject({
        token_count: 1,
        last_refresh_at: null,
      });

      const revocations = idp.count('revocation.success');
      const ended = await api.delete(`/sessions/${online.sid}`);
      expect(ended.status).toBe(200);
      expect(ended.body).toEqual({ session_id: online.sid, revoked_tokens: 2, provider_session: 'ended' });
      expect(idp.count('revocation.success')).toBe(revocations + 2);
      expect(idp.count('admin.session.deleted', { sid: online.sid })).toBe(1);
      expect(await idp.introspect(offline.refreshToken)).toMatchObject({ active: false });
      const remaining = (await api.get('/sessions?user_id=carol')).body['sessions'] as Record<
        string,
        unknown
      >[];
      expect(remaining.map((s) => s['session_id'])).not.toContain(online.sid);
      expect(remaining.map((s) => s['session_id'])).toContain(other.sid);

      const again = await api.delete(`/sessions/${online.sid}`);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    });
  });

  describe('callers and bad input', () => {
    it('requires an API key from AUTH_MANAGER_API_KEYS, as a bearer token or X-API-Key', async () => {
      const missing = await caller(app, null).get('/tokens?user_id=alice');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect(missing.body['message']).toBe(
        'Missing API key: send Authorization: Bearer <key> or X-API-Key: <key>',
      );
      expect((await caller(app, 'not-a-configured-key').get('/tokens?user_id=alice')).body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Invalid API key',
      });
      expect(
        (await caller(app, null).get('/tokens?user_id=alice', { 'x-api-key': OTHER_API_KEY })).status,
      ).toBe(200);
      expect(
        (await caller(app, null).get('/tokens?user_id=alice', { authorization: `bearer ${API_KEY}` })).status,
      ).toBe(200);
      for (const [method, path] of [
        ['POST', '/tokens'],
        ['POST', `/tokens/${randomUUID()}/access-token`],
        ['DELETE', `/tokens/${randomUUID()}`],
        ['POST', '/tokens/validate'],
        ['GET', '/offline/authorize?user_id=alice'],
        ['GET', '/sessions?user_id=alice'],
        ['DELETE', '/sessions/abc'],
      ] as const) {
        expect((await fetch(`${app.url}${path}`, { method })).status).toBe(401);
      }
    });

    it('answers every bad input with a 4xx that names the problem', async () => {
      const unknown = randomUUID();
      const cases: [Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
        [api.post('/tokens'), 400, 'refresh_token must be a string'],
        [api.post('/tokens', '{"refresh_token": '), 400, 'not valid JSON'],
        [
          api.post('/tokens', { refresh_token: 'x', token_type: 'access' }),
          400,
          'token_type must be one of the following values: refresh, offline',
        ],
        [
          api.post('/tokens', { refresh_token: '', token_type: 'refresh' }),
          400,
          'refresh_token should not be empty',
        ],
        [
          api.post('/tokens', { refresh_token: 'x'.repeat(20_000), token_type: 'refresh' }),
          400,
          'refresh_token must be shorter than or equal to 16384 characters',
        ],
        [
          api.post('/tokens', { refresh_token: 'x', token_type: 'refresh', user_id: 'alice' }),
          400,
          'property user_id should not exist',
        ],
        [
          api.post('/tokens', 'refresh_token=x', { 'content-type': 'text/plain' }),
          400,
          'refresh_token must be a string',
        ],
        [
          api.post('/tokens', 'refresh_token=x', { 'content-type': 'application/x-www-form-urlencoded' }),
          400,
          'token_type must be one of',
        ],
        [api.get('/tokens'), 400, 'user_id must be 1-255 visible ASCII characters'],
        [api.get('/tokens?user_id=a%20b'), 400, 'user_id must be 1-255 visible ASCII characters'],
        [
          api.get(`/tokens?user_id=${'u'.repeat(256)}`),
          400,
          'user_id must be 1-255 visible ASCII characters',
        ],
        [api.get('/tokens?user_id=alice&limit=5'), 400, 'property limit should not exist'],
        [api.get('/tokens/not-a-uuid'), 400, 'id must be a UUID'],
        [api.get(`/tokens/${unknown}`), 404, `No stored token with id ${unknown}`],
        [api.post('/tokens/validate', {}), 400, 'token must be a string'],
        [api.post('/tokens/validate', { token: 42 }), 400, 'token must be a string'],
        [api.delete('/tokens/not-a-uuid'), 400, 'id must be a UUID'],
        [api.delete(`/tokens/${unknown}`), 404, `No stored token with id ${unknown}`],
        [api.post('/tokens/12345/access-token'), 400, 'id must be a UUID'],
        [api.post(`/tokens/${unknown}/access-token`), 404, `No stored token with id ${unknown}`],
        [api.get('/offline/authorize'), 400, 'user_id must be 1-255 visible ASCII characters'],
        [api.get('/offline/callback'), 400, 'state is required'],
        [api.get('/offline/callback?state=a&state=b&code=c'), 400, 'state must be given once'],
        [
          api.get('/offline/callback?code=abc&state=forged.token'),
          400,
          'state is malformed or was not issued by this service',
        ],
        [api.get('/sessions'), 400, 'user_id must be 1-255 visible ASCII characters'],
        [api.delete('/sessions/a%20b'), 400, 'sid must be 1-255 visible ASCII characters'],
        [api.delete(`/sessions/${'s'.repeat(300)}`), 414, 'is exceeding the max param length'],
        [
          api.delete('/sessions/no-such-session'),
          404,
          'No token in the vault belongs to session no-such-session',
        ],
        [api.get('/no-such-route'), 404, 'Cannot GET /no-such-route'],
      ];
      for (const [pending, status, message] of cases) {
        const response = await pending;
        expect({ status: response.status, message: response.body['message'] }).toEqual({
          status,
          message: expect.stringContaining(message),
        });
      }
      const tooLarge = await postOversized(`${app.url}/tokens`, 2 * 1024 * 1024, {
        authorization: `Bearer ${API_KEY}`,
      });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body['message']).toEqual(expect.stringContaining('too large'));
    });
  });

  describe('status routes and docs kept from the seed', () => {
    it('serves /health, /version, the Scalar API reference at /docs and /openapi.json', async () => {
      const health = await fetch(`${app.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        service: 'auth-manager',
        version: expect.any(String),
      });

      const version = (await (await fetch(`${app.url}/version`)).json()) as Record<string, unknown>;
      expect(version).toMatchObject({
        service: 'auth-manager',
        node: process.version,
        database: { mode: 'external', server_version: expect.stringMatching(/^\d+/) },
      });

      const docs = await fetch(`${app.url}/docs`);
      expect(docs.status).toBe(200);
      const page = await docs.text();
      expect(page).toContain('Scalar API Reference');
      expect(page).toContain('/openapi.json');

      const spec = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining([
          '/tokens',
          '/tokens/validate',
          '/tokens/{id}',
          '/tokens/{id}/access-token',
          '/offline/authorize',
          '/offline/callback',
          '/sessions',
          '/sessions/{sid}',
          '/health',
          '/version',
        ]),
      );
    });

    it('exports its counters on /metrics', async () => {
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(/auth_manager_access_tokens_served_total\{source="refresh"\} [1-9]/);
      expect(metrics).toMatch(/auth_manager_refresh_grants_total\{outcome="invalid_grant"\} [1-9]/);
      expect(metrics).toMatch(
        /auth_manager_provider_requests_total\{operation="introspection",outcome="success"\} [1-9]/,
      );
    });
  });

  describe('secrecy', () => {
    it('keeps no plain-text token in a dump of the tokens table', async () => {
      const dump = JSON.stringify(await database.query('SELECT row_to_json(t) AS row FROM vault_tokens t'));
      expect(secrets.size).toBeGreaterThan(10);
      for (const secret of secrets) expect(dump).not.toContain(secret);
      const rows = await database.query<StoredRow>('SELECT * FROM vault_tokens');
      for (const row of rows) {
        expect(row.refresh_token_ciphertext).toMatch(/^v1\.[0-9a-f]{8}\./);
        if (row.access_token_ciphertext) expect(row.access_token_ciphertext).toMatch(/^v1\.[0-9a-f]{8}\./);
      }
    });

    it('writes no token, key or secret to any log line', async () => {
      const logs = app.logs().join('\n');
      expect(logs).toContain('request completed');
      for (const secret of [
        ...secrets,
        VAULT_KEY,
        STATE_SECRET,
        API_KEY,
        OTHER_API_KEY,
        CLIENT.client_secret,
        ADMIN_CLIENT.client_secret,
      ]) {
        expect(logs).not.toContain(secret);
      }
    });
  });
});
